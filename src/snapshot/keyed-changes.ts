import { fitsInt32 } from './columns.js';
import { keyedEntriesOf } from './keyed-delta.js';
import type { KeyedStateEntries } from './keyed-delta.js';

/**
 * A keyed snapshot is full once more than this share of the keys changed. A delta costs a lookup in the Map and two
 * pushes per changed key, in no order; a full snapshot walks the Map in order. With 1M keys, a fifth of them changing
 * between checkpoints 100 ms apart, deltas took 36% of the job's CPU profile, full snapshots 8%: about 250 ns a key
 * against 50. Past an eighth of the keys a full snapshot takes less of the event loop (it writes more bytes, but off
 * the loop).
 */
export const manyChanged = 1 / 8;

/** Keys of the last snapshot looked up before walking, to tell at once that most keys changed. */
const samples = 256;

/** A delta is never refused for holding fewer keys than this, however small the state. */
const fewChanged = 1000;

/** The keyed state as of the last snapshot taken: keys and values in the Map's order then. */
interface Mirror {
  keys: ArrayLike<unknown>;
  values: ArrayLike<unknown>;
  /** Held by a snapshot too (or decoded from a checkpoint): copied before it is changed. */
  shared: boolean;
}

/**
 * Which keys of one keyed state changed between snapshots, found at each barrier by comparing the Map with the state
 * as of the snapshot before, not by watching every `set`.
 *
 * Watching `set` (an own method on the Map adding each key to a Set) cost 35-50 ns a record on a 2-core VM: 10% of a
 * keyed count's CPU profile and most of what periodic checkpoints took from its throughput (1M keys, 1k changing:
 * 0.84-0.86 of the job without checkpoints; without the watching, 1.0). Comparing walks the Map once per checkpoint,
 * 6-11 ms for 1M keys, and stops as soon as more than {@link manyChanged} of the keys differ, when a full snapshot is
 * taken instead; a sample of the keys first tells when most of them changed, without a walk. It relies on the
 * contract keyed state states: values are replaced on update, never changed in place.
 *
 * The walk follows Map order, which keeps every surviving key where it was and appends new keys, and keys deleted and
 * set again, at the end. Walking the Map alongside the keys as of the snapshot before, each of those keys either is
 * the next one there (its value is compared), or is gone (removed), or was set again and comes later; so one pass
 * finds every change. In any other order (a Map still restoring from columns) the walk stays right: every key out of
 * place counts as changed, and the snapshot is full.
 *
 * @see restoredKeyedMap, whose Map walks its own entries first
 */
export class KeyedChanges {
  private mirror: Mirror | undefined;
  /** Keys changed by each snapshot taken, against the one before ('many' after a full one). */
  private readonly bySnapshot: { readonly checkpointId: number; readonly keys: ReadonlySet<unknown> | 'many' }[] = [];
  /**
   * How many keys the deltas of each snapshot's chain hold, back to the full snapshot it starts from, by checkpoint
   * id: a restore sets every one of them after building the full state, so past half the state a full one is taken.
   */
  private readonly keysInChain = new Map<number, number>();

  /** Take a full snapshot of `map` as checkpoint `checkpointId`. */
  full(map: ReadonlyMap<unknown, unknown>, checkpointId: number): KeyedStateEntries {
    const entries = keyedEntriesOf(map);
    this.mirror = { keys: entries.keys, values: entries.values, shared: true };
    this.record(checkpointId, 'many');
    this.keysInChain.set(checkpointId, 0);
    return entries;
  }

  /**
   * The keys changed (or removed) in `map` since checkpoint `parent`, or 'many' when more than {@link manyChanged} of
   * them did, or what changed before is not known (take a full snapshot then, with {@link full}). Records what changed
   * since the last snapshot as checkpoint `checkpointId`'s.
   */
  since(map: ReadonlyMap<unknown, unknown>, parent: number, checkpointId: number): ReadonlySet<unknown> | 'many' {
    const limit = Math.max(fewChanged, map.size * manyChanged);
    // As many keys as the size grew by (or shrank by) are new (or gone): while a state fills, the new keys are at the
    // end of the Map, and a walk would only find them there, after every other key.
    if (!this.mirror || Math.abs(map.size - this.mirror.keys.length) > limit || mostChanged(map, this.mirror)) return this.forget();
    const changedNow = this.compare(map, this.mirror, limit);
    if (changedNow === 'many') return 'many';
    // Snapshots taken since the parent that are not yet stored: their changes belong to this delta too.
    const unstored = this.bySnapshot.filter((taken) => taken.checkpointId > parent);
    if (unstored.some((taken) => taken.keys === 'many')) return 'many';
    const keys = unstored.length === 0 ? changedNow : new Set(changedNow);
    for (const taken of unstored) for (const key of taken.keys as ReadonlySet<unknown>) keys.add(key);
    this.record(checkpointId, changedNow);
    return keys;
  }

  /**
   * Keys in the deltas of the chain a snapshot building on `parent` with `changed` keys would end. Infinite when
   * `parent` is the checkpoint restored from: its chain is not known, and the restore after the next failure would
   * pay for every delta of every run before, so the first snapshot after a restore is full.
   */
  chainWith(parent: number, changed: number): number {
    return (this.keysInChain.get(parent) ?? Number.POSITIVE_INFINITY) + changed;
  }

  /** Snapshot `checkpointId` is a delta ending a chain whose deltas hold `keys` keys. */
  tookDelta(checkpointId: number, keys: number): void {
    this.keysInChain.set(checkpointId, keys);
  }

  /** Checkpoint `checkpointId` is stored: no later snapshot builds on anything older. */
  stored(checkpointId: number): void {
    while (this.bySnapshot.length > 0 && this.bySnapshot[0]!.checkpointId <= checkpointId) this.bySnapshot.shift();
    for (const id of this.keysInChain.keys()) if (id < checkpointId) this.keysInChain.delete(id);
  }

  private record(checkpointId: number, keys: ReadonlySet<unknown> | 'many'): void {
    // A full snapshot builds on nothing: what changed before it is not needed once it is taken.
    if (keys === 'many') this.bySnapshot.length = 0;
    this.bySnapshot.push({ checkpointId, keys });
  }

  /** The keys that differ between `map` and `mirror`, or 'many' past `limit`; brings the mirror up to date with the Map. */
  private compare(map: ReadonlyMap<unknown, unknown>, mirror: Mirror, limit: number): Set<unknown> | 'many' {
    const { keys, values } = mirror;
    // An array while walking, a Set only for a delta: adding the 125k keys that reach the limit at 1M keys to a Set
    // took 20-35 ms of a barrier's turn. A key may be in it twice (out of place, then new), which counts towards the
    // limit twice: a full snapshot a little early, never a change missed.
    const changed: unknown[] = [];
    // Where values changed with every key in its place, the mirror is patched; otherwise it is taken again.
    const patchAt: number[] = [];
    const patchWith: unknown[] = [];
    let inPlace = true;
    let many = false;
    let j = 0;
    // forEach, not for...of over two iterators: the walk runs once a checkpoint, and a callback called 1M times is
    // optimized within the walk (for 1M keys 6-10 ms, against 8-25 for the loop).
    map.forEach((value, key) => {
      if (many) return;
      for (;;) {
        if (j === keys.length) {
          // Past the keys of the last snapshot: new, or deleted and set again.
          changed.push(key);
          inPlace = false;
          break;
        }
        const before = keys[j++];
        if (before === key || (before !== before && key !== key)) {
          const was = values[j - 1];
          if (was !== value || (value === 0 && !Object.is(was, value))) {
            changed.push(key);
            patchAt.push(j - 1);
            patchWith.push(value);
          }
          break;
        }
        // Not here any more: deleted, or deleted and set again (it comes later, and is counted now so that a walk
        // through a Map in another order reaches the limit early).
        inPlace = false;
        changed.push(before);
      }
      if (changed.length > limit) many = true;
    });
    if (many) return this.forget();
    for (; j < keys.length; j++) {
      inPlace = false;
      changed.push(keys[j]);
    }
    if (changed.length > limit) return this.forget();
    if (!inPlace) {
      // Shared: a Map still restoring may hand back the checkpoint's own columns.
      const { keys: nowKeys, values: nowValues } = keyedEntriesOf(map);
      this.mirror = { keys: nowKeys, values: nowValues, shared: true };
    }
    else if (patchAt.length > 0) this.mirror = { keys, values: patched(mirror, patchAt, patchWith), shared: false };
    return new Set(changed);
  }

  /** Many keys changed: the snapshot is full, and sets the mirror again. */
  private forget(): 'many' {
    this.mirror = undefined;
    return 'many';
  }
}

/**
 * Whether more than a quarter of {@link samples} keys spread evenly over the last snapshot's differ now. While most
 * keys keep changing, walking the Map only finds that the snapshot is full again, after 10-35 ms at 1M keys (the walk
 * runs once a checkpoint, mostly before V8 optimizes it). When an eighth or fewer changed, a quarter of the samples
 * differing is six standard deviations off; and a wrong answer only makes one snapshot full.
 */
function mostChanged(map: ReadonlyMap<unknown, unknown>, { keys, values }: Mirror): boolean {
  if (keys.length < samples * 16) return false;
  let differ = 0;
  for (let i = 0; i < samples; i++) {
    const at = Math.floor(((i + 0.5) * keys.length) / samples);
    const key = keys[at];
    const value = map.get(key);
    if (value !== values[at] || (value === undefined && !map.has(key))) differ++;
  }
  return differ * 4 > samples;
}

/**
 * The mirror's values with `to[i]` at `at[i]`: in place unless shared, as a copy of the typed array while the new
 * values fit it (`Array.from` of a 1M-element Int32Array took 50-90 ms), else as an array.
 */
function patched({ values, shared }: Mirror, at: readonly number[], to: readonly unknown[]): ArrayLike<unknown> {
  const fits =
    values instanceof Int32Array
      ? to.every(fitsInt32)
      : values instanceof Float64Array
        ? to.every((x) => typeof x === 'number')
        : Array.isArray(values);
  let out: { [index: number]: unknown; readonly length: number };
  if (fits) out = shared ? (values as Int32Array | Float64Array | unknown[]).slice() : (values as unknown[]);
  else {
    const copy: unknown[] = [];
    for (let i = 0; i < values.length; i++) copy.push(values[i]);
    out = copy;
  }
  for (let i = 0; i < at.length; i++) out[at[i]!] = to[i];
  return out;
}
