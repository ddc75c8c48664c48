import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { mapStage, stateless } from '../contracts/operate.js';

/** Values a key may have: compared by value, so keyed state finds them again after a restore. */
export type Key = string | number | boolean;

/** A record with the key that keyed operators (count, reduce, windows, dedupe) group it by. */
export interface Keyed<K extends Key, V> {
  readonly key: K;
  readonly value: V;
}

/** Pair each record with its key, for the keyed operators after it. */
export function keyBy<T, K extends Key>(keyOf: (value: T) => K): Operator<T, Keyed<K, T>> {
  return defineOperator({ name: 'keyBy', guarantee: 'exactly-once', replay: 'deterministic' }, (input) =>
    stateless<T, Keyed<K, T>>(
      input,
      mapStage((value) => ({ key: keyOf(value), value })),
    ),
  );
}
