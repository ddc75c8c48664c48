import { deserialize, serialize } from 'node:v8';
import type { Checkpoint, SnapshotCodec } from './store.js';

// Keyed state travels as Maps; JSON has no Maps, so they are written as [key, value] pairs, which restore reads as well.
const mapsAsPairs = (_key: string, value: unknown): unknown => (value instanceof Map ? Array.from(value) : value);

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
 * fast for keyed state (kept as Maps), and keeps Dates, BigInts, NaN and
 * `undefined`. Stores still read checkpoints that were written with
 * {@link jsonCodec}: each names its codec in its header.
 */
export const structuredCloneCodec: SnapshotCodec = {
  name: 'structured-clone',
  encode: (checkpoint) => serialize(checkpoint),
  decode: (bytes) => deserialize(bytes) as Checkpoint,
};

/** The codec stores use unless given one. */
export const defaultCodec: SnapshotCodec = structuredCloneCodec;
