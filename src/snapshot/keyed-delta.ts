import { Column } from './columns.js';
import { restoredEntriesOf, restoredKeyedMap } from './restored-keyed-map.js';

/**
 * What a checkpoint stores for keyed state when it builds on an earlier one
 * (its `parent`): the keys changed since the parent, with their values, and
 * the keys removed. As Flink's changelog state backend (FLIP-158), a
 * checkpoint then costs what changed, not what exists.
 */
export interface KeyedStateDelta {
  readonly onceflowDelta: 1;
  /**
   * Changed keys and their values at the barrier: {@link KeyedStateEntries} as the runtime writes
   * them (building a Map of the changes at the barrier cost more than the rest of the checkpoint);
   * a Map or `[key, value]` pairs in checkpoints written before.
   */
  readonly changed: KeyedStateEntries | ReadonlyMap<unknown, unknown> | readonly (readonly [unknown, unknown])[];
  readonly removed: readonly unknown[];
}

/** Whether a stored state value is a {@link KeyedStateDelta}. */
export function isKeyedStateDelta(value: unknown): value is KeyedStateDelta {
  return typeof value === 'object' && value !== null && (value as { onceflowDelta?: unknown }).onceflowDelta === 1;
}

/**
 * What a full checkpoint stores for keyed state: its keys and its values as two arrays in the
 * same order. Taking one at a barrier (`[...map.keys()]`, `[...map.values()]`) costs a fraction
 * of copying the Map into another (1M keys: about 15 ms against 300 ms), and encoding and
 * decoding two arrays is cheaper than a Map; a restore builds the Map once.
 */
export interface KeyedStateEntries {
  readonly onceflowEntries: 1;
  /** Arrays as snapshots take them; decoded from the structured-clone codec, a column of numbers is a typed array. */
  readonly keys: ArrayLike<unknown>;
  readonly values: ArrayLike<unknown>;
}

/** Whether a stored state value is a {@link KeyedStateEntries}. */
export function isKeyedStateEntries(value: unknown): value is KeyedStateEntries {
  return typeof value === 'object' && value !== null && (value as { onceflowEntries?: unknown }).onceflowEntries === 1;
}

/** `map`'s entries as they are now, in a {@link KeyedStateEntries} that later changes to `map` do not touch. */
export function keyedEntriesOf(map: ReadonlyMap<unknown, unknown>): KeyedStateEntries {
  const restored = restoredEntriesOf(map);
  if (restored) return { onceflowEntries: 1, ...restored };
  const keys = new Column(map.size);
  const values = new Column(map.size);
  map.forEach((value, key) => {
    keys.push(key);
    values.push(value);
  });
  return { onceflowEntries: 1, keys: keys.done(), values: values.done() };
}

/**
 * The keyed state a full snapshot or a merged chain holds, as a Map: from a Map (taken over, not
 * copied), from {@link KeyedStateEntries} (large columns of primitive keys are answered from until
 * they have moved into the Map: see `restoredKeyedMap`), or from `[key, value]` pairs (JSON, and
 * checkpoints written before either).
 */
export function asKeyedMap(value: unknown): Map<unknown, unknown> {
  if (value instanceof Map) return value;
  const restored = isKeyedStateEntries(value) && value.keys.length === value.values.length ? restoredKeyedMap(value.keys, value.values) : undefined;
  if (restored) return restored;
  const map = new Map<unknown, unknown>();
  setEntries(map, value);
  return map;
}

/** Set every entry of keyed state stored in any of the forms {@link asKeyedMap} reads into `map`. */
export function setEntries(map: Map<unknown, unknown>, value: unknown): void {
  if (isKeyedStateEntries(value)) {
    const { keys, values } = value;
    if (keys.length !== values.length) throw new TypeError(`keyed state has ${keys.length} keys but ${values.length} values`);
    for (let i = 0; i < keys.length; i++) map.set(keys[i], values[i]);
  } else if (value instanceof Map || Array.isArray(value)) {
    for (const [key, entry] of value as Iterable<readonly [unknown, unknown]>) map.set(key, entry);
  }
}
