import { createHash } from 'node:crypto';
import { jsonCodec, structuredCloneCodec } from './codec.js';
import type { Checkpoint, SnapshotCodec } from './store.js';
import { CorruptCheckpointError } from '../errors.js';
import { latestOfChain } from './chain.js';

interface Header {
  readonly format: 'onceflow-checkpoint';
  readonly version: 1;
  readonly codec: string;
  readonly length: number;
  readonly sha256: string;
}

const builtInCodecs = [jsonCodec, structuredCloneCodec];
// A stored header says which codec wrote the body: bodies keep being read whatever the store's codec now is.

const hashedPerTurn = 2 ** 20;

/**
 * The SHA-256 of `bytes` in hex, a megabyte an event-loop turn: hashing the 8 MB of a checkpoint of
 * 1M keys at once held the loop for 5-20 ms. Not WebCrypto's digest on the thread pool: it copies its
 * input on the event loop first, which took 24 ms for 8 MB here.
 */
async function sha256(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.byteLength; at += hashedPerTurn) {
    if (at > 0) await new Promise(setImmediate);
    hash.update(bytes.subarray(at, at + hashedPerTurn));
  }
  return hash.digest('hex');
}

/**
 * A stored checkpoint: a JSON header line with the body's codec, length and
 * SHA-256, then the body. Every durable store writes this, so a torn or
 * altered checkpoint is recognised wherever it was kept. The two parts are
 * returned apart: joining them copied the whole body on the event loop.
 */
export async function frameCheckpoint(checkpoint: Checkpoint, codec: SnapshotCodec): Promise<{ header: Buffer; body: Uint8Array }> {
  // A turn of its own: the barrier's turn took the snapshot (15-20 ms at 1M keys), and encoding a full one in the
  // same turn added 5 ms more to the longest pause a checkpoint causes.
  await new Promise(setImmediate);
  const body = codec.encode(checkpoint);
  const header: Header = {
    format: 'onceflow-checkpoint',
    version: 1,
    codec: codec.name,
    length: body.byteLength,
    sha256: await sha256(body),
  };
  return { header: Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body };
}

/** Read a framed checkpoint back, or throw {@link CorruptCheckpointError} naming `location`. */
export async function unframeCheckpoint(bytes: Buffer, location: string, codec: SnapshotCodec): Promise<Checkpoint> {
  const newline = bytes.indexOf(0x0a);
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Header;
  } catch (cause) {
    throw new CorruptCheckpointError(`checkpoint ${location} has no readable header`, location, { cause });
  }
  const body = bytes.subarray(newline + 1);
  if (header.format !== 'onceflow-checkpoint' || header.version !== 1) {
    throw new CorruptCheckpointError(`checkpoint ${location} is not an onceflow checkpoint (format ${header.format} v${header.version})`, location);
  }
  if (body.byteLength !== header.length) {
    throw new CorruptCheckpointError(`checkpoint ${location} is truncated: ${body.byteLength} of ${header.length} bytes`, location);
  }
  if ((await sha256(body)) !== header.sha256) {
    throw new CorruptCheckpointError(`checkpoint ${location} fails its SHA-256 checksum`, location);
  }
  const bodyCodec = builtInCodecs.find((c) => c.name === header.codec) ?? (codec.name === header.codec ? codec : undefined);
  if (!bodyCodec) throw new CorruptCheckpointError(`checkpoint ${location} uses codec '${header.codec}', which this store does not have`, location);
  try {
    return bodyCodec.decode(body);
  } catch (cause) {
    throw new CorruptCheckpointError(`checkpoint ${location} cannot be decoded with codec '${header.codec}'`, location, { cause });
  }
}

/**
 * The newest intact checkpoint among `candidates` (newest first), with its chain of deltas merged
 * (see {@link latestOfChain}), and the corrupt ones passed over.
 */
export async function newestIntact(
  candidates: readonly { readonly id: number; readonly location: string; readonly read: () => Promise<Buffer | null> }[],
  codec: SnapshotCodec,
): Promise<{ checkpoint: Checkpoint | undefined; corrupt: CorruptCheckpointError[] }> {
  return latestOfChain(
    candidates.map(({ id, location, read }) => ({
      id,
      location,
      read: async () => {
        const bytes = await read();
        return bytes === null ? null : unframeCheckpoint(bytes, location, codec);
      },
    })),
  );
}
