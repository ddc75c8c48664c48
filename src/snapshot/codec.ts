import { deserialize, serialize } from 'node:v8';
import { isKeyedStateDelta, isKeyedStateEntries } from './keyed-delta.js';
import type { KeyedStateEntries } from './keyed-delta.js';
import type { Checkpoint, SnapshotCodec } from './store.js';

// JSON has no Maps, so they are written as [key, value] pairs, which restore reads as well. A typed column (from a
// checkpoint the structured-clone codec decoded) would become an object with a property per index, read back as no keys.
const mapsAsPairs = (_key: string, value: unknown): unknown =>
  value instanceof Map ? Array.from(value) : value instanceof Int32Array || value instanceof Float64Array ? Array.from(value) : value;

/**
 * `column` as an Int32Array when every element is a 32-bit integer, as a Float64Array when every one is a number,
 * else as it is. V8 writes a typed array as its bytes and reads it back without an object or a tag per element:
 * 1M keys and their counts decoded in 1-36 ms instead of 66-190, with no 2M array slots left for the GC. Encoding
 * costs about what it did: building the columns takes what serializing them saves.
 */
function asColumn(column: ArrayLike<unknown>): ArrayLike<unknown> {
  if (!Array.isArray(column) || column.length === 0) return column;
  let int32 = true;
  for (let i = 0; i < column.length; i++) {
    const x: unknown = column[i];
    if (typeof x !== 'number') return column;
    // -0 would come back from an Int32Array as 0.
    if (int32 && ((x | 0) !== x || (x === 0 && 1 / x < 0))) int32 = false;
  }
  const typed = int32 ? new Int32Array(column.length) : new Float64Array(column.length);
  // A loop, not the constructor: `new Int32Array(array)` took 24-38 ms for 1M numbers, the loop 3-15.
  for (let i = 0; i < column.length; i++) typed[i] = column[i] as number;
  return typed;
}

function withColumns(entries: KeyedStateEntries): KeyedStateEntries {
  return { onceflowEntries: 1, keys: asColumn(entries.keys), values: asColumn(entries.values) };
}

/** `checkpoint` with the keys and values of its keyed state as typed columns where they are all numbers. */
function columnar(checkpoint: Checkpoint): Checkpoint {
  const operators: Record<string, Record<string, unknown>> = {};
  for (const [operatorId, states] of Object.entries(checkpoint.operators)) {
    const out: Record<string, unknown> = {};
    for (const [name, state] of Object.entries(states)) {
      if (isKeyedStateEntries(state)) out[name] = withColumns(state);
      else if (isKeyedStateDelta(state) && isKeyedStateEntries(state.changed)) out[name] = { ...state, changed: withColumns(state.changed) };
      else out[name] = state;
    }
    operators[operatorId] = out;
  }
  return { ...checkpoint, operators };
}

/**
 * JSON: for people who want to read a checkpoint. State must be JSON-safe:
 * `NaN`, `Infinity` and `undefined` inside values do not survive, `Date`s come
 * back as strings, and Maps as arrays of `[key, value]` pairs. Slower than the
 * default {@link structuredCloneCodec} (several times, for large keyed state).
 */
export const jsonCodec: SnapshotCodec = {
  name: 'json',
  encode: (checkpoint) => Buffer.from(JSON.stringify(checkpoint, mapsAsPairs), 'utf8'),
  decode: (bytes) => JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Checkpoint,
};

/**
 * V8's structured-clone serialization (`v8.serialize`), the default: binary,
 * fast for keyed state, and keeps Dates, BigInts, NaN and `undefined`. Keyed
 * state whose keys or values are all numbers is written as typed arrays, and
 * decoded as such. Stores still read checkpoints that were written with
 * {@link jsonCodec}: each names its codec in its header.
 */
export const structuredCloneCodec: SnapshotCodec = {
  name: 'structured-clone',
  encode: (checkpoint) => serialize(columnar(checkpoint)),
  decode: (bytes) => deserialize(bytes) as Checkpoint,
};

/** The codec stores use unless given one. */
export const defaultCodec: SnapshotCodec = structuredCloneCodec;
