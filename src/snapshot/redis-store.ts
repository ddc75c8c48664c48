import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { defaultCodec } from './codec.js';
import { retiredCheckpoints } from './chain.js';
import { frameCheckpoint, newestIntact } from './framing.js';
import type { Checkpoint, LatestCheckpoint, SnapshotCodec, SnapshotStore } from './store.js';
import { ConfigurationError, JobLockedError } from '../errors.js';

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
  /** How long a job's lock outlives its runner, in ms: renewed every third of it while the job runs. Default 30 000. */
  readonly lockLease?: number;
}

// Only the owner may renew or delete a lock: a runner whose lease ran out must not take it from the next one.
const renewIfOwner = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const deleteIfOwner = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Keeps checkpoints in Redis, for jobs whose instances run on several
 * machines. A checkpoint's bytes (framed with a checksum, as in the file
 * store) and its entry in the job's index are written in one MULTI/EXEC, so
 * other instances see a whole checkpoint or none. Durability is Redis's: run
 * it with AOF persistence (`appendfsync always` for the strictest) if
 * checkpoints must survive a Redis restart. A job's lock is a key with a
 * lease (`lockLease`), renewed while the job runs: a runner that dies without
 * releasing it blocks the job for one lease at most.
 */
export function redisStore(options: RedisStoreOptions): SnapshotStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'onceflow';
  const retain = options.retain ?? 3;
  const codec = options.codec ?? defaultCodec;
  const lease = options.lockLease ?? 30_000;
  if (!Number.isInteger(retain) || retain < 1) throw new ConfigurationError(`redisStore retain must be a whole number >= 1, got ${retain}`);
  if (!Number.isInteger(lease) || lease < 3) throw new ConfigurationError(`redisStore lockLease must be a whole number of ms >= 3, got ${lease}`);
  const newestKey = (jobId: string): string => `${prefix}:${jobId}:newest`;
  const lockKey = (jobId: string): string => `${prefix}:${jobId}:lock`;
  const indexKey = (jobId: string): string => `${prefix}:${jobId}:checkpoints`;
  const checkpointKey = (jobId: string, checkpointId: number): string => `${prefix}:${jobId}:checkpoint:${checkpointId}`;
  // Parent of each checkpoint saved by this store (null: full), so that retention keeps what a kept delta builds on.
  const parents = new Map<string, number | null>();

  return {
    // Host, port and database only: the client's options may hold a password.
    async save(checkpoint: Checkpoint): Promise<number> {
      const { jobId, checkpointId } = checkpoint;
      const { header, body } = await frameCheckpoint(checkpoint, codec);
      const written = await client
        .multi()
        .set(checkpointKey(jobId, checkpointId), Buffer.concat([header, body]))
        .zadd(indexKey(jobId), checkpointId, String(checkpointId))
        .set(newestKey(jobId), String(checkpointId))
        .exec();
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
      return body.byteLength;
    },

    async latest(jobId: string): Promise<LatestCheckpoint> {
      const ids = await client.zrevrange(indexKey(jobId), 0, -1);
      const found = await newestIntact(
        ids.map((id) => {
          const key = checkpointKey(jobId, Number(id));
          return { id: Number(id), location: `redis key ${key}`, read: () => client.getBuffer(key) };
        }),
        codec,
      );
      const known = [Number(await client.get(newestKey(jobId))), Number(ids[0] ?? 0)].filter((id) => Number.isInteger(id) && id > 0);
      return { ...found, newestSaved: known.length > 0 ? Math.max(...known) : undefined };
    },

    async lock(jobId: string) {
      const key = lockKey(jobId);
      const owner = `pid ${process.pid} on host ${hostname()}, since ${new Date().toISOString()} (${randomUUID()})`;
      if ((await client.set(key, owner, 'PX', lease, 'NX')) !== 'OK') {
        const holder = (await client.get(key)) ?? 'a runner whose lease just ended';
        throw new JobLockedError(
          `job '${jobId}' is already running (${holder}): its lock, redis key ${key}, is held, and one job must not run twice against one snapshot store. ` +
            `Stop that runner first; a runner that died releases it when its lease of ${lease} ms runs out.`,
          holder,
        );
      }
      const renewal = setInterval(() => {
        client.eval(renewIfOwner, 1, key, owner, String(lease)).catch(() => {});
      }, Math.floor(lease / 3));
      renewal.unref();
      return {
        async release() {
          clearInterval(renewal);
          await client.eval(deleteIfOwner, 1, key, owner);
        },
      };
    },

    // Host, port and db only: the client's options may hold a password.
    describe: (jobId: string) => `redis://${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}/${client.options.db ?? 0} keys ${prefix}:${jobId}:* (redisStore)`,
  };
}
