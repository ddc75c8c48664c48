import type { Redis } from 'ioredis';
import { defaultCodec } from './codec.js';
import { retiredCheckpoints } from './chain.js';
import { frameCheckpoint, newestIntact } from './framing.js';
import type { Checkpoint, LatestCheckpoint, SnapshotCodec, SnapshotStore } from './store.js';
import { ConfigurationError } from '../errors.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** A connected ioredis client; the store does not close it. */
  readonly client: Redis;
  /** Prefix of every key the store writes. Default `onceflow`. */
  readonly keyPrefix?: string;
  /** Checkpoints kept per job. Default 3. */
  readonly retain?: number;
  /** Serialization. Default {@link structuredCloneCodec}. */
  readonly codec?: SnapshotCodec;
}

/**
 * Keeps checkpoints in Redis, for jobs whose instances run on several
 * machines. A checkpoint's bytes (framed with a checksum, as in the file
 * store) and its entry in the job's index are written in one MULTI/EXEC, so
 * other instances see a whole checkpoint or none. Durability is Redis's: run
 * it with AOF persistence (`appendfsync always` for the strictest) if
 * checkpoints must survive a Redis restart.
 */
export function redisStore(options: RedisStoreOptions): SnapshotStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'onceflow';
  const retain = options.retain ?? 3;
  const codec = options.codec ?? defaultCodec;
  if (!Number.isInteger(retain) || retain < 1) throw new ConfigurationError(`redisStore retain must be a whole number >= 1, got ${retain}`);
  const indexKey = (jobId: string): string => `${prefix}:${jobId}:checkpoints`;
  const checkpointKey = (jobId: string, checkpointId: number): string => `${prefix}:${jobId}:checkpoint:${checkpointId}`;
  // Parent of each checkpoint saved by this store (null: full), so that retention keeps what a kept delta builds on.
  const parents = new Map<string, number | null>();

  return {
    // Host, port and database only: the client's options may hold a password.
    location: `redis://${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}/${client.options.db ?? 0} keys ${prefix}:*`,
    async save(checkpoint: Checkpoint): Promise<number> {
      const { jobId, checkpointId } = checkpoint;
      const { bytes, bodyLength } = frameCheckpoint(checkpoint, codec);
      const written = await client.multi().set(checkpointKey(jobId, checkpointId), bytes).zadd(indexKey(jobId), checkpointId, String(checkpointId)).exec();
      const failure = written?.find(([error]) => error)?.[0];
      if (!written || failure) throw failure ?? new Error(`redisStore: the transaction saving checkpoint ${checkpointId} of '${jobId}' was aborted`);
      parents.set(checkpointKey(jobId, checkpointId), checkpoint.parent ?? null);
      const stored = (await client.zrevrange(indexKey(jobId), 0, -1)).map(Number);
      const retired = retiredCheckpoints(stored, retain, (id) => parents.get(checkpointKey(jobId, id))).map(String);
      for (const id of retired) parents.delete(checkpointKey(jobId, Number(id)));
      if (retired.length > 0) {
        await client
          .multi()
          .zrem(indexKey(jobId), ...retired)
          .del(...retired.map((id) => checkpointKey(jobId, Number(id))))
          .exec();
      }
      return bodyLength;
    },

    async latest(jobId: string): Promise<LatestCheckpoint> {
      const ids = await client.zrevrange(indexKey(jobId), 0, -1);
      return newestIntact(
        ids.map((id) => {
          const key = checkpointKey(jobId, Number(id));
          return { id: Number(id), location: `redis key ${key}`, read: () => client.getBuffer(key) };
        }),
        codec,
      );
    },
  };
}
