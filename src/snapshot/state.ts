import type { KeyedListState, KeyedMapState, OperatorState, ValueState } from '../contracts/state.js';
import { ConfigurationError } from '../errors.js';
import { asKeyedMap, keyedEntriesOf } from './keyed-delta.js';
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

/**
 * A keyed snapshot is full once more than this share of the keys changed. A delta costs a lookup in the Map and two
 * pushes per changed key, in no order, and recording the key a Set.add; a full snapshot walks the Map in order. With
 * 1M keys, a fifth of them changing between checkpoints 100 ms apart, deltas and recording took 36% of the job's CPU
 * profile, full snapshots 8%: about 250 ns a key against 50. Past an eighth of the keys a full snapshot takes less
 * of the event loop (it writes more bytes, but off the loop).
 */
const manyChanged = 1 / 8;

/**
 * The keys of a keyed state changed since the snapshots that are not yet
 * known to be stored: a snapshot that builds on checkpoint p writes the keys
 * changed since p, which may span checkpoints that were discarded.
 */
class DirtyKeys {
  current = new Set<unknown>();
  /**
   * More than {@link manyChanged} of the keys changed since the last snapshot, or the state churns and they are not
   * recorded this time (see {@link since}): the next one is full whatever it builds on, so changes are not recorded one by one.
   */
  currentIsMany = false;
  /** Whether this interval's changes are recorded (false while churning), and whether many keys had changed in the last recorded one. */
  private recording = true;
  private lastRecordedWasMany = false;
  private readonly bySnapshot: { readonly checkpointId: number; readonly keys: Set<unknown> | 'many' }[] = [];
  /**
   * How many keys the deltas of each snapshot's chain hold, back to the full snapshot it starts from, by checkpoint
   * id: a restore sets every one of them after building the full state, so past half the state a full one is taken.
   */
  private readonly keysInChain = new Map<number, number>();

  /**
   * Watch `map`'s set, delete and clear: an own method on the instance, so the Map restored need not be copied.
   * Wraps the methods the map has, which are its own while it is still restoring from columns.
   */
  track(map: Map<unknown, unknown>): void {
    const { set, delete: remove, clear } = map;
    const dirty = this;
    const changing = (map: Map<unknown, unknown>, key: unknown): void => {
      if (dirty.currentIsMany) return;
      const current = dirty.current;
      current.add(key);
      if (current.size > map.size * manyChanged && current.size > 1000) {
        dirty.currentIsMany = true;
        dirty.current = new Set();
      }
    };
    map.set = function (key, value) {
      changing(this, key);
      return set.call(this, key, value);
    };
    map.delete = function (key) {
      changing(this, key);
      return remove.call(this, key);
    };
    map.clear = function () {
      for (const key of this.keys()) changing(this, key);
      clear.call(this);
    };
  }

  /**
   * The keys changed since checkpoint `parent`, or 'many' when more than {@link manyChanged} of them did;
   * starts a new set for what changes after `checkpointId`.
   */
  since(parent: number, checkpointId: number): Set<unknown> | 'many' {
    let keys: Set<unknown> | 'many' = this.currentIsMany ? 'many' : this.current;
    for (const taken of this.bySnapshot) {
      if (taken.checkpointId <= parent || keys === 'many') continue;
      if (taken.keys === 'many') keys = 'many';
      else {
        // Copied before adding to it: the sets are kept for later snapshots.
        if (keys === this.current) keys = new Set(keys);
        for (const key of taken.keys) keys.add(key);
      }
    }
    // Many keys changed before each of the last two snapshots that could have been deltas: the state churns, and
    // recording the next interval's keys would only find that its snapshot is full again. Adding every changed key
    // to a Set until half of them had changed (the threshold then) was 8% of a keyed count whose 100k keys all change
    // between checkpoints 100 ms apart. Every other interval is still recorded, so a state that settles gets its deltas back.
    const churning = this.recording && this.currentIsMany && this.lastRecordedWasMany;
    if (this.recording) this.lastRecordedWasMany = this.currentIsMany;
    this.rotate(checkpointId);
    if (churning) {
      this.recording = false;
      this.currentIsMany = true;
    }
    return keys;
  }

  rotate(checkpointId: number): void {
    this.bySnapshot.push({ checkpointId, keys: this.currentIsMany ? 'many' : this.current });
    this.current = new Set();
    this.currentIsMany = false;
    this.recording = true;
  }

  /**
   * Keys in the deltas of the chain a snapshot building on `parent` with `changed` keys would end. Infinite when
   * `parent` is the checkpoint restored from: its chain is not known, and the restore after the next failure would
   * pay for every delta of every run before, so the first snapshot after a restore is full.
   */
  chainWith(parent: number, changed: number): number {
    return (this.keysInChain.get(parent) ?? Number.POSITIVE_INFINITY) + changed;
  }

  /** Snapshot `checkpointId` ends a chain whose deltas hold `keys` keys (0: it is full). */
  took(checkpointId: number, keys: number): void {
    this.keysInChain.set(checkpointId, keys);
  }

  /** Checkpoint `checkpointId` is stored: no later snapshot builds on anything older. */
  stored(checkpointId: number): void {
    while (this.bySnapshot.length > 0 && this.bySnapshot[0]!.checkpointId <= checkpointId) this.bySnapshot.shift();
    for (const id of this.keysInChain.keys()) if (id < checkpointId) this.keysInChain.delete(id);
  }
}

type Entry =
  | { readonly type: 'keyed'; readonly map: Map<unknown, unknown>; readonly dirty: DirtyKeys | undefined }
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
    const dirty = this.chain ? new DirtyKeys() : undefined;
    dirty?.track(map);
    this.entries.set(name, { type: 'keyed', map, dirty });
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
   * `checkpointId` builds on another, a {@link KeyedStateDelta}.
   */
  snapshot(checkpointId = 0): OperatorSnapshot {
    const out: OperatorSnapshot = {};
    const parent = this.chain?.parentOf(checkpointId);
    for (const [name, entry] of this.entries) {
      if (entry.type === 'keyed') out[name] = keyedSnapshot(entry.map, entry.dirty, parent, checkpointId);
      else if (entry.type === 'value') out[name] = entry.cell.value;
      else out[name] = entry.state.snapshot();
    }
    this.epoch++;
    return out;
  }

  /** Checkpoint `checkpointId` is stored: later snapshots may build on it, and what changed before it is forgotten. */
  stored(checkpointId: number): void {
    for (const entry of this.entries.values()) if (entry.type === 'keyed') entry.dirty?.stored(checkpointId);
  }

  private claim(name: string): void {
    if (this.entries.has(name)) throw new ConfigurationError(`state '${name}' is registered twice by one operator`);
  }
}

function keyedSnapshot(
  map: Map<unknown, unknown>,
  dirty: DirtyKeys | undefined,
  parent: number | undefined,
  checkpointId: number,
): Map<unknown, unknown> | KeyedStateEntries | KeyedStateDelta {
  if (!dirty) return new Map(map);
  if (parent === undefined) {
    dirty.rotate(checkpointId);
    dirty.took(checkpointId, 0);
    return keyedEntriesOf(map);
  }
  const keys = dirty.since(parent, checkpointId);
  // Besides many keys changed since the parent, a chain whose deltas would hold more than half the keys: a restore
  // then sets each key at most 1.5 times, not once per delta (restoring 1M keys changed a third at a time, each
  // delta after the full state was 300k more Map.set calls, as costly per key as building the state).
  const inChain = keys === 'many' ? map.size : dirty.chainWith(parent, keys.size);
  if (keys === 'many' || keys.size > map.size * manyChanged || inChain * 2 > map.size) {
    dirty.took(checkpointId, 0);
    return keyedEntriesOf(map);
  }
  dirty.took(checkpointId, inChain);
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
