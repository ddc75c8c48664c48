import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { flatMapStage, stateless } from '../contracts/operate.js';

/**
 * Turn each record into zero or more records, synchronously (Flink's
 * FlatMapFunction). Unlike RxJS's `flatMap` (an alias of `mergeMap`), the
 * results come out at once and in order; for asynchronous work use
 * `concatMap`.
 */
export function flatMap<In, Out>(project: (value: In) => Iterable<Out>): Operator<In, Out> {
  return defineOperator({ name: 'flatMap', guarantee: 'exactly-once', replay: 'deterministic' }, (input) =>
    stateless<In, Out>(input, flatMapStage(project)),
  );
}
