import type { Guarantee, Replay } from '../contracts/guarantee.js';
import { defineOperator, operatorInfo } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { ConfigurationError } from '../errors.js';

/**
 * Give `operator` a stable id for its state (Flink's `uid`): its checkpointed
 * state is stored under `id` instead of under its place in the pipeline, so a
 * job changed by adding or removing operators before it still restores it.
 * Ids are unique within a job.
 *
 * ```ts
 * .pipe(map(parse), keyBy((o) => o.customer), uid('orders-per-customer', count()))
 * ```
 */
export function uid<In, Out, G extends Guarantee, R extends Replay>(id: string, operator: Operator<In, Out, G, R>): Operator<In, Out, G, R> {
  if (typeof id !== 'string' || !/^[\w.:-]+$/.test(id)) throw new ConfigurationError(`uid must be letters, digits, '.', ':', '_' or '-', got ${JSON.stringify(id)}`);
  return defineOperator({ ...operator[operatorInfo], uid: id }, (input, context) => operator(input, context));
}
