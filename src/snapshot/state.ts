import type { KeyedListState, KeyedMapState, OperatorState, ValueState } from '../contracts/state.js';
import { ConfigurationError } from '../errors.js';
import { KeyedChanges, manyChanged } from './keyed-changes.js';
import { asKeyedMap } from './keyed-delta.js';
import type { KeyedStateDelta, KeyedStateEntries } from './keyed-delta.js';

/** What one operator's state looks like inside a checkpoint. */
export type OperatorSnapshot = Record<string, unknown>;

interface Shared<T> {
  /** The data; shared with every snapshot taken since `epoch`, so it is copied before a change. */
  data: T;
  epoch: number;
}

/** Keyed lists whose arrays are copied only on the first change after a snapshot. */
class ListState<K, V> implements KeyedListState<K, V> {
  readonly lists = new Map<K, Shared<V[]>>();

  constructor(
    private readonly epoch: () => number,
    restored: unknown,
  ) {
    // Epoch -1: a restored list belongs to the decoded checkpoint, so its first change copies it.
    if (Array.isArray(restored)) for (const [key, values] of restored as [K, V[]][]) this.lists.set(key, { data: values, epoch: -1 });
  }

  get size(): number {
    return this.lists.size;
  }

  get(key: K): readonly V[] {
    return this.lists.get(key)?.data ?? [];
  }

  append(key: K, value: V): void {
    const list = this.lists.get(key);
    const epoch = this.epoch();
    if (!list) this.lists.set(key, { data: [value], epoch });
    else if (list.epoch === epoch) list.data.push(value);
    else this.lists.set(key, { data: [...list.data, value], epoch });
  }

  set(key: K, values: readonly V[]): void {
    this.lists.set(key, { data: [...values], epoch: this.epoch() });
  }

  delete(key: K): void {
    this.lists.delete(key);
  }

  keys(): IterableIterator<K> {
    return this.lists.keys();
  }

  snapshot(): [K, V[]][] {
    return Array.from(this.lists, ([key, list]) => [key, list.data]);
  }
}

/** Keyed maps, copied into arrays at each snapshot. */
class MapState<K, UK, UV> implements KeyedMapState<K, UK, UV> {
  private readonly maps = new Map<K, Map<UK, UV>>();

  constructor(restored: unknown) {
    if (Array.isArray(restored)) for (const [key, entries] of restored as [K, [UK, UV][]][]) this.maps.set(key, new Map(entries));
  }

  get(key: K, userKey: UK): UV | undefined {
    return this.maps.get(key)?.get(userKey);
  }

  set(key: K, userKey: UK, value: UV): void {
    let map = this.maps.get(key);
    if (!map) this.maps.set(key, (map = new Map()));
    map.set(userKey, value);
  }

  delete(key: K, userKey: UK): void {
    const map = this.maps.get(key);
    if (!map) return;
    map.delete(userKey);
    if (map.size === 0) this.maps.delete(key);
  }

  entries(key: K): IterableIterator<[UK, UV]> {
    return (this.maps.get(key) ?? new Map<UK, UV>()).entries();
  }

  clear(key: K): void {
    this.maps.delete(key);
  }

  keys(): IterableIterator<K> {
    return this.maps.keys();
  }

  snapshot(): [K, [UK, UV][]][] {
    return Array.from(this.maps, ([key, map]) => [key, Array.from(map)]);
  }
}

/**
 * Which checkpoint a snapshot builds on: `undefined` takes a full snapshot.
 * The coordinator answers it per checkpoint id; without one, every snapshot is full.
 */
export interface SnapshotChain {
  parentOf(checkpointId: number): number | undefined;
}

type Entry =
  | { readonly type: 'keyed'; readonly map: Map<unknown, unknown>; readonly changes: KeyedChanges | undefined }
  | { readonly type: 'list'; readonly state: ListState<unknown, unknown> }
  | { readonly type: 'map'; readonly state: MapState<unknown, unknown, unknown> }
  | { readonly type: 'value'; readonly cell: ValueState<unknown> };

/**
 * The state an operator registers so that checkpoints include it.
 *
 * Snapshots copy the containers (the map, the cell), not the values in them:
 * treat stored values as immutable and replace them on update, so taking a
 * snapshot of 100k keys stays a cheap copy rather than a deep clone. Keyed
 * lists are shared with the snapshot and copied on their next change.
 */
export class StateRegistry implements OperatorState {
  private readonly entries = new Map<string, Entry>();
  // Bumped by each snapshot: a list last copied in an older epoch is shared with a snapshot.
  private epoch = 0;

  /**
   * @param restored the operator's state in the checkpoint restored from (its keyed Maps are taken over, not copied)
   * @param chain with it, keyed state is snapshotted as the keys changed since the checkpoint it names
   */
  constructor(
    private readonly restored: OperatorSnapshot | undefined,
    private readonly chain?: SnapshotChain,
  ) {}

  keyed<K, V>(name: string): Map<K, V> {
    this.claim(name);
    const map = asKeyedMap(this.restored?.[name]);
    this.entries.set(name, { type: 'keyed', map, changes: this.chain ? new KeyedChanges() : undefined });
    return map as Map<K, V>;
  }

  list<K, V>(name: string): KeyedListState<K, V> {
    this.claim(name);
    const state = new ListState<K, V>(() => this.epoch, this.restored?.[name]);
    this.entries.set(name, { type: 'list', state: state as ListState<unknown, unknown> });
    return state;
  }

  map<K, UK, UV>(name: string): KeyedMapState<K, UK, UV> {
    this.claim(name);
    const state = new MapState<K, UK, UV>(this.restored?.[name]);
    this.entries.set(name, { type: 'map', state: state as MapState<unknown, unknown, unknown> });
    return state;
  }

  value<V>(name: string, initial: V): ValueState<V> {
    this.claim(name);
    const cell: ValueState<V> = { value: this.restored && name in this.restored ? (this.restored[name] as V) : initial };
    this.entries.set(name, { type: 'value', cell: cell as ValueState<unknown> });
    return cell;
  }

  /** Whether the operator registered any state (and so takes part in checkpoints). */
  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  /**
   * A copy of every registered state, safe to keep while the operator goes on. Keyed state is a
   * Map without a chain; with one, {@link KeyedStateEntries}, or, when the chain says checkpoint
   * `checkpointId` builds on another and few keys changed since it, a {@link KeyedStateDelta}.
   */
  snapshot(checkpointId = 0): OperatorSnapshot {
    const out: OperatorSnapshot = {};
    const parent = this.chain?.parentOf(checkpointId);
    for (const [name, entry] of this.entries) {
      if (entry.type === 'keyed') out[name] = keyedSnapshot(entry.map, entry.changes, parent, checkpointId);
      else if (entry.type === 'value') out[name] = entry.cell.value;
      else out[name] = entry.state.snapshot();
    }
    this.epoch++;
    return out;
  }

  /** Checkpoint `checkpointId` is stored: later snapshots may build on it, and what changed before it is forgotten. */
  stored(checkpointId: number): void {
    for (const entry of this.entries.values()) if (entry.type === 'keyed') entry.changes?.stored(checkpointId);
  }

  private claim(name: string): void {
    if (this.entries.has(name)) throw new ConfigurationError(`state '${name}' is registered twice by one operator`);
  }
}

function keyedSnapshot(
  map: Map<unknown, unknown>,
  changes: KeyedChanges | undefined,
  parent: number | undefined,
  checkpointId: number,
): Map<unknown, unknown> | KeyedStateEntries | KeyedStateDelta {
  if (!changes) return new Map(map);
  if (parent === undefined) return changes.full(map, checkpointId);
  const keys = changes.since(map, parent, checkpointId);
  if (keys === 'many' || keys.size > map.size * manyChanged) return changes.full(map, checkpointId);
  // Past half the keys in a chain's deltas, a full one: a restore then sets each key at most 1.5 times, not once per
  // delta (restoring 1M keys changed a third at a time, each delta after the full state was 300k more Map.set calls,
  // as costly per key as building the state).
  const inChain = changes.chainWith(parent, keys.size);
  if (inChain * 2 > map.size) return changes.full(map, checkpointId);
  changes.tookDelta(checkpointId, inChain);
  // Arrays, not a Map: inserting 100k changed keys into a new Map at the barrier cost more than encoding them.
  const changedKeys: unknown[] = [];
  const values: unknown[] = [];
  const removed: unknown[] = [];
  for (const key of keys) {
    const value = map.get(key);
    if (value !== undefined || map.has(key)) {
      changedKeys.push(key);
      values.push(value);
    } else removed.push(key);
  }
  return { onceflowDelta: 1, changed: { onceflowEntries: 1, keys: changedKeys, values }, removed };
}
