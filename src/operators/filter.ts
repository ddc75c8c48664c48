import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { filterStage, stateless } from '../contracts/operate.js';

/** Keep the records for which `predicate` holds. */
export function filter<T, S extends T>(predicate: (value: T) => value is S): Operator<T, S>;
export function filter<T>(predicate: (value: T) => boolean): Operator<T, T>;
export function filter<T>(predicate: (value: T) => boolean): Operator<T, T> {
  return defineOperator({ name: 'filter', guarantee: 'exactly-once', replay: 'deterministic', keys: 'kept' }, (input) =>
    stateless<T, T>(input, filterStage(predicate)),
  );
}
