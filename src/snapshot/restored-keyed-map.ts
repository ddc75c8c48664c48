/**
 * Keyed state restored without building its Map first.
 *
 * A full checkpoint stores keyed state as two columns (see `KeyedStateEntries`). Inserting 1M keys into a Map costs
 * 170-320 ms on a 2-core VM, and a job cannot take its first record until its state answers every key: that was
 * half of recovering from SIGKILL at 1M keys. Here the restored Map starts empty, and a hash index over the key
 * column (a typed array, about 20 ms for 1M keys) answers for the keys not yet in it. The columns move into the Map a
 * slice per event-loop turn in the background, and each key moves at once when it is set or deleted; once they all
 * have, the Map's own methods take over again, and the job runs on a plain Map.
 */

const mapGet = Map.prototype.get;
const mapHas = Map.prototype.has;
const mapSet = Map.prototype.set;
const mapDelete = Map.prototype.delete;
const mapClear = Map.prototype.clear;
const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;

/** Below this many keys the Map is built at once: the index would save little and cost its own overhead. */
export const lazyRestoreAtKeys = 4096;

/** Keys moved from the columns into the Map per event-loop turn: about 5 ms of `Map.set` on a 2-core VM. */
const keysPerTurn = 32_768;

const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

/**
 * A 32-bit hash agreeing with Map's key equality (SameValueZero) for numbers, strings and booleans, or `undefined`
 * for other keys (objects, bigints, symbols), which are left to a Map.
 */
function hashOf(key: unknown): number | undefined {
  if (typeof key === 'number') {
    // -0 | 0 is 0, so -0 and 0 hash alike, as Map treats them.
    if ((key | 0) === key) return Math.imul(key, 0x9e3779b1);
    if (key !== key) return 0x7ff80000;
    float[0] = key;
    return Math.imul(floatWords[0]! ^ Math.imul(floatWords[1]!, 0x85ebca6b), 0x9e3779b1);
  }
  if (typeof key === 'string') {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    // FNV's low bits mix poorly with its high ones; the index takes the high bits.
    return Math.imul(hash ^ (hash >>> 15), 0x9e3779b1);
  }
  if (typeof key === 'boolean') return key ? 0x6a09e667 : 0x3c6ef372;
  return undefined;
}

const sameKey = (a: unknown, b: unknown): boolean => a === b || (a !== a && b !== b);

/** The restored columns, with an open-addressing index over the keys and which of them have moved to the Map. */
class RestoredColumns {
  /** Keys not yet moved into the Map (nor deleted). */
  remaining: number;
  /** Where the background move has got to in the columns. */
  private movedUpTo = 0;
  /** Per key in the column: 1 once it is in the Map or deleted, so the index no longer answers for it. */
  private moved: Uint8Array;
  private readonly shift: number;

  private constructor(
    private keys: ArrayLike<unknown>,
    private values: ArrayLike<unknown>,
    /** Index into the columns plus one per slot; 0 is an empty slot. */
    private slots: Int32Array,
    hashes: Int32Array,
  ) {
    this.remaining = keys.length;
    this.moved = new Uint8Array(keys.length);
    this.shift = 32 - Math.log2(slots.length);
    const mask = slots.length - 1;
    for (let i = 0; i < keys.length; i++) {
      let slot = hashes[i]! >>> this.shift;
      for (;;) {
        const at = slots[slot]!;
        if (at === 0) {
          slots[slot] = i + 1;
          break;
        }
        // A key twice in a column would be a damaged checkpoint; as when a Map is built from it, the later value wins.
        if (sameKey(keys[at - 1], keys[i])) {
          this.moved[at - 1] = 1;
          this.remaining--;
          slots[slot] = i + 1;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
  }

  /** An index over `keys`, or `undefined` when one of them cannot be hashed here. */
  static of(keys: ArrayLike<unknown>, values: ArrayLike<unknown>): RestoredColumns | undefined {
    const hashes = new Int32Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const hash = hashOf(keys[i]);
      if (hash === undefined) return undefined;
      hashes[i] = hash;
    }
    // At most half full, so a probe ends within a few slots.
    let capacity = 2;
    while (capacity < keys.length * 2) capacity *= 2;
    return new RestoredColumns(keys, values, new Int32Array(capacity), hashes);
  }

  /** Where `key` is in the columns, or -1 when it is not there or has moved. */
  find(key: unknown): number {
    const hash = hashOf(key);
    if (hash === undefined) return -1;
    const { slots, keys } = this;
    const mask = slots.length - 1;
    for (let slot = hash >>> this.shift; ; slot = (slot + 1) & mask) {
      const at = slots[slot]!;
      if (at === 0) return -1;
      if (sameKey(keys[at - 1], key)) return this.moved[at - 1] === 1 ? -1 : at - 1;
    }
  }

  value(index: number): unknown {
    return this.values[index];
  }

  /** Stop answering for `key` (it is being set in the Map, or deleted); whether the columns held it. */
  take(key: unknown): boolean {
    const index = this.find(key);
    if (index < 0) return false;
    this.moved[index] = 1;
    if (--this.remaining === 0) this.release();
    return true;
  }

  /** Move up to `count` keys into `map` with the Map's own set, past the overrides that would look them up in the columns again. */
  moveInto(map: Map<unknown, unknown>, count: number): void {
    const end = Math.min(this.movedUpTo + count, this.keys.length);
    const { keys, values, moved } = this;
    for (let i = this.movedUpTo; i < end; i++) {
      if (moved[i] === 1) continue;
      moved[i] = 1;
      this.remaining--;
      mapSet.call(map, keys[i], values[i]);
    }
    this.movedUpTo = end;
    if (this.remaining === 0) this.release();
  }

  /** The keys and values still here, in column order. */
  *entries(): Generator<[unknown, unknown]> {
    for (let i = 0; i < this.keys.length && this.remaining > 0; i++) if (this.moved[i] === 0) yield [this.keys[i], this.values[i]];
  }

  /** Append the keys and values still here to `keys` and `values`. */
  appendTo(keys: unknown[], values: unknown[]): void {
    for (let i = 0; i < this.keys.length && this.remaining > 0; i++) {
      if (this.moved[i] === 1) continue;
      keys.push(this.keys[i]);
      values.push(this.values[i]);
    }
  }

  /** The columns themselves while nothing has left them: they are never written, so a snapshot may share them. */
  whole(): { keys: ArrayLike<unknown>; values: ArrayLike<unknown> } | undefined {
    return this.remaining === this.keys.length ? { keys: this.keys, values: this.values } : undefined;
  }

  release(): void {
    this.remaining = 0;
    this.keys = this.values = [];
    this.slots = new Int32Array(1);
    this.moved = new Uint8Array(0);
  }
}

/** The restored maps still answering from their columns. */
const restoring = new WeakMap<Map<unknown, unknown>, RestoredColumns>();

/** The methods a restoring Map has of its own; deleted once every key has moved into it. */
const overridden = ['get', 'has', 'set', 'delete', 'clear', 'size', 'keys', 'values', 'entries', 'forEach', Symbol.iterator] as const;

function settle(map: Map<unknown, unknown>): void {
  restoring.delete(map);
  const properties = map as unknown as Record<PropertyKey, unknown>;
  for (const name of overridden) delete properties[name];
}

/**
 * A Map holding `keys[i]` → `values[i]`, answering from the columns until they have moved into it, or `undefined`
 * when the columns are small or hold keys that cannot be indexed (build the Map then). The columns must not change
 * afterwards.
 */
export function restoredKeyedMap(keys: ArrayLike<unknown>, values: ArrayLike<unknown>): Map<unknown, unknown> | undefined {
  if (keys.length < lazyRestoreAtKeys) return undefined;
  const indexed = RestoredColumns.of(keys, values);
  if (!indexed) return undefined;
  const columns: RestoredColumns = indexed;
  const map = new Map<unknown, unknown>();
  restoring.set(map, columns);
  const done = (): boolean => {
    if (columns.remaining > 0) return false;
    settle(map);
    return true;
  };
  function* entries(this: Map<unknown, unknown>): Generator<[unknown, unknown]> {
    yield* Map.prototype.entries.call(this);
    yield* columns.entries();
  }
  const method = (value: unknown): PropertyDescriptor => ({ value, writable: true, configurable: true, enumerable: false });
  Object.defineProperties(map, {
    get: method(function (this: Map<unknown, unknown>, key: unknown): unknown {
      const value = mapGet.call(this, key);
      if (value !== undefined || columns.remaining === 0) return value;
      // A key set in the Map has left the columns, so a value of undefined set there is not overridden here.
      const index = columns.find(key);
      return index < 0 ? undefined : columns.value(index);
    }),
    has: method(function (this: Map<unknown, unknown>, key: unknown): boolean {
      return mapHas.call(this, key) || (columns.remaining > 0 && columns.find(key) >= 0);
    }),
    set: method(function (this: Map<unknown, unknown>, key: unknown, value: unknown): Map<unknown, unknown> {
      if (columns.remaining > 0 && columns.take(key)) done();
      return mapSet.call(this, key, value);
    }),
    delete: method(function (this: Map<unknown, unknown>, key: unknown): boolean {
      const inColumns = columns.remaining > 0 && columns.take(key);
      if (inColumns) done();
      return mapDelete.call(this, key) || inColumns;
    }),
    clear: method(function (this: Map<unknown, unknown>): void {
      columns.release();
      done();
      mapClear.call(this);
    }),
    size: {
      get(this: Map<unknown, unknown>): number {
        return mapSize.call(this) + columns.remaining;
      },
      configurable: true,
      enumerable: false,
    },
    keys: method(function* (this: Map<unknown, unknown>): Generator<unknown> {
      for (const [key] of entries.call(this)) yield key;
    }),
    values: method(function* (this: Map<unknown, unknown>): Generator<unknown> {
      for (const [, value] of entries.call(this)) yield value;
    }),
    entries: method(entries),
    forEach: method(function (this: Map<unknown, unknown>, callback: (value: unknown, key: unknown, map: Map<unknown, unknown>) => void, thisArg?: unknown): void {
      for (const [key, value] of entries.call(this)) callback.call(thisArg, value, key, this);
    }),
    [Symbol.iterator]: method(entries),
  });
  const moveSome = (): void => {
    if (done()) return;
    columns.moveInto(map, keysPerTurn);
    if (!done()) setImmediate(moveSome).unref();
  };
  setImmediate(moveSome).unref();
  return map;
}

/**
 * `map`'s keys and values as two arrays in the same order, for a full snapshot: without walking the columns of a Map
 * still restoring one key at a time, and sharing them while nothing has left them.
 */
export function restoredEntriesOf(map: ReadonlyMap<unknown, unknown>): { keys: ArrayLike<unknown>; values: ArrayLike<unknown> } | undefined {
  const columns = restoring.get(map as Map<unknown, unknown>);
  if (!columns || columns.remaining === 0) return undefined;
  if (mapSize.call(map) === 0) {
    const whole = columns.whole();
    if (whole) return whole;
  }
  const keys = [...Map.prototype.keys.call(map)];
  const values = [...Map.prototype.values.call(map)];
  columns.appendTo(keys, values);
  return { keys, values };
}
