import type { Operator } from '../contracts/operator.js';
import type { Key, Keyed } from './keyBy.js';
import { reduce } from './reduce.js';

/** Keyed running count: emits each record's key with how many records that key has had. */
export function count<K extends Key, V>(): Operator<Keyed<K, V>, Keyed<K, number>> {
  return reduce<K, V, number>((n) => n + 1, () => 0);
}
