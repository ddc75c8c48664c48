import { deserialize, serialize } from 'node:v8';
import { Column } from './columns.js';
import { isKeyedStateDelta, isKeyedStateEntries } from './keyed-delta.js';
import type { KeyedStateEntries } from './keyed-delta.js';
import type { Checkpoint, SnapshotCodec } from './store.js';

// JSON has no Maps, so they are written as [key, value] pairs, which restore reads as well. A typed column (from a
// checkpoint the structured-clone codec decoded) would become an object with a property per index, read back as no keys.
const mapsAsPairs = (_key: string, value: unknown): unknown =>
  value instanceof Map ? Array.from(value) : value instanceof Int32Array || value instanceof Float64Array ? Array.from(value) : value;

/** `column` as a typed array where its elements are all numbers (see {@link Column}); typed already, as it is. */
function asColumn(column: ArrayLike<unknown>): ArrayLike<unknown> {
  if (!Array.isArray(column) || column.length === 0) return column;
  const typed = new Column(column.length);
  for (let i = 0; i < column.length; i++) {
    // Not all numbers: the array as it is, not a copy.
    if (typeof column[i] !== 'number') return column;
    typed.push(column[i]);
  }
  return typed.done();
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
