/** A single checkpointed value of an operator (not per key). */
export interface ValueState<V> {
  value: V;
}

/**
 * A list per key, for operators that gather values (windows). Appending is
 * O(1): a checkpoint keeps the lists as they were at its barrier, and a list
 * is copied only the first time it changes after a checkpoint, not on every
 * record.
 */
export interface KeyedListState<K, V> {
  /** The key's values, oldest first; empty when it has none. Read-only: change it through this state. */
  get(key: K): readonly V[];
  /** Add a value at the end of the key's list. */
  append(key: K, value: V): void;
  /** Replace the key's list. */
  set(key: K, values: readonly V[]): void;
  /** Drop the key's list. */
  delete(key: K): void;
  /** Keys that have a list. */
  keys(): IterableIterator<K>;
  /** How many keys have a list. */
  readonly size: number;
}

/** A map per key (user key to value), for operators that keep several entries per key. */
export interface KeyedMapState<K, UK, UV> {
  get(key: K, userKey: UK): UV | undefined;
  set(key: K, userKey: UK, value: UV): void;
  delete(key: K, userKey: UK): void;
  /** The key's entries; empty when it has none. */
  entries(key: K): IterableIterator<[UK, UV]>;
  /** Drop every entry of the key. */
  clear(key: K): void;
  /** Keys that have entries. */
  keys(): IterableIterator<K>;
}

/**
 * Where an operator registers the state that checkpoints include. The runtime
 * hands one to each operator through its context, restored from the
 * checkpoint the job resumes from. Keys and values must survive the
 * snapshot store's codec (JSON by default).
 */
export interface OperatorState {
  /**
   * One value per key, as a Map restored from the last checkpoint. Treat values as immutable: replace them on update.
   * Incremental checkpoints find the keys that changed by comparing each value with the one the last snapshot holds
   * (`!==`), so an object changed in place, even when set again, is not seen as changed.
   */
  keyed<K, V>(name: string): Map<K, V>;
  /** A list per key. */
  list<K, V>(name: string): KeyedListState<K, V>;
  /** A map per key. */
  map<K, UK, UV>(name: string): KeyedMapState<K, UK, UV>;
  /** One value, restored from the last checkpoint or else `initial`. */
  value<V>(name: string, initial: V): ValueState<V>;
}
