import { deserialize, serialize } from 'node:v8';
import type { Checkpoint, SnapshotCodec } from './store.js';

/**
 * JSON: readable on disk, the default. State must be JSON-safe: `NaN`,
 * `Infinity` and `undefined` inside values do not survive, and `Date`s come
 * back as strings. Use {@link structuredCloneCodec} for such state.
 */
export const jsonCodec: SnapshotCodec = {
  name: 'json',
  encode: (checkpoint) => Buffer.from(JSON.stringify(checkpoint), 'utf8'),
  decode: (bytes) => JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Checkpoint,
};

/** V8's structured-clone serialization: binary, keeps Maps, Dates, BigInts, NaN and `undefined`. */
export const structuredCloneCodec: SnapshotCodec = {
  name: 'structured-clone',
  encode: (checkpoint) => serialize(checkpoint),
  decode: (bytes) => deserialize(bytes) as Checkpoint,
};
