import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import type { Key, Keyed } from './keyBy.js';

/**
 * Keyed running aggregate: for each record, fold it into its key's
 * accumulator (checkpointed) and emit the key's new value. `reducer` must not
 * mutate the accumulator it is given: return a new one (snapshots copy the
 * map of accumulators, not the accumulators).
 */
export function reduce<K extends Key, V, A>(reducer: (accumulator: A, value: V, key: K) => A, seed: (key: K) => A): Operator<Keyed<K, V>, Keyed<K, A>> {
  return defineOperator({ name: 'reduce', guarantee: 'exactly-once', replay: 'deterministic', keys: 'kept' }, (input, context) => {
    const accumulators = context.state.keyed<K, A>('accumulators');
    return operate<Keyed<K, V>, Keyed<K, A>>(input, {
      record: ({ key, value }, out) => {
        const next = reducer(accumulators.has(key) ? (accumulators.get(key) as A) : seed(key), value, key);
        accumulators.set(key, next);
        out.next({ key, value: next });
      },
    });
  });
}
