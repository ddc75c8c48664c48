import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, CorruptCheckpointError, JobLockedError, pipeline } from 'onceflow';
import { redisStore } from 'onceflow/redis';
import type { Checkpoint, JobHandle } from 'onceflow';
import { memorySink } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';

const redis = new Redis(requireServer('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
const prefix = uniqueName('onceflow-test');

test.before(() => redis.connect());
test.after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const checkpoint = (checkpointId: number): Checkpoint => ({
  jobId: 'job',
  checkpointId,
  timestamp: checkpointId,
  final: false,
  sources: { '0-collection': checkpointId },
  operators: {},
  sinks: {},
});

test('redisStore returns the newest checkpoint and keeps only the last k', async () => {
  const store = redisStore({ client: redis, keyPrefix: `${prefix}:a`, retain: 2 });
  for (const id of [1, 2, 3]) await store.save(checkpoint(id));
  assert.equal((await store.latest('job')).checkpoint, checkpoint(3));
  assert.equal(await redis.zrange(`${prefix}:a:job:checkpoints`, 0, -1), ['2', '3']);
  assert.is(await redis.exists(`${prefix}:a:job:checkpoint:1`), 0);
});

test('redisStore keeps and merges a chain of deltas, and retires it after the next full checkpoint', async () => {
  const store = redisStore({ client: redis, keyPrefix: `${prefix}:chain`, retain: 1 });
  const delta = (id: number, changed: [string, number][], removed: string[]): Checkpoint => ({
    ...checkpoint(id),
    operators: { '0-count': { counts: { onceflowDelta: 1, changed: new Map(changed), removed } } },
    parent: id - 1,
    depth: id - 1,
  });
  await store.save({ ...checkpoint(1), operators: { '0-count': { counts: new Map([['a', 1], ['b', 1]]) } } });
  await store.save(delta(2, [['a', 2]], ['b']));
  await store.save(delta(3, [['c', 1]], []));
  assert.equal(await redis.zrange(`${prefix}:chain:job:checkpoints`, 0, -1), ['1', '2', '3'], 'the chain of the kept checkpoint');
  assert.equal((await store.latest('job')).checkpoint?.operators['0-count'], { counts: new Map([['a', 2], ['c', 1]]) });
  await store.save({ ...checkpoint(4), operators: { '0-count': { counts: new Map([['z', 1]]) } } });
  assert.equal(await redis.zrange(`${prefix}:chain:job:checkpoints`, 0, -1), ['4']);
  assert.is(await redis.exists(`${prefix}:chain:job:checkpoint:1`), 0);
});

test('redisStore passes over an altered checkpoint to the one before, and says so', async () => {
  const store = redisStore({ client: redis, keyPrefix: `${prefix}:b` });
  await store.save(checkpoint(1));
  await store.save(checkpoint(2));
  const key = `${prefix}:b:job:checkpoint:2`;
  const bytes = (await redis.getBuffer(key))!;
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0xff, bytes.length - 2);
  await redis.set(key, bytes);
  const { checkpoint: found, corrupt } = await store.latest('job');
  assert.is(found?.checkpointId, 1);
  assert.instance(corrupt[0], CorruptCheckpointError);
  assert.match(corrupt[0]!.message, /fails its SHA-256 checksum/);
});

test('redisStore: one lock per job, renewed while held, released for the next runner, and lost with its lease', async () => {
  const store = redisStore({ client: redis, keyPrefix: `${prefix}:d`, lockLease: 300 });
  const lock = await store.lock('job');
  // Renewed: still held after more than one lease.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const error = await redisStore({ client: redis, keyPrefix: `${prefix}:d` }).lock('job').catch((e: unknown) => e);
  assert.instance(error, JobLockedError);
  assert.match((error as JobLockedError).holder, new RegExp(`^pid ${process.pid} on host `));
  assert.match(String(error), /redis key .*:d:job:lock, is held/);
  await lock.release();
  const next = await store.lock('job');
  await next.release();
  // A runner that died: its key without renewal expires after its lease.
  await redis.set(`${prefix}:d:job:lock`, 'pid 1 on host gone', 'PX', 100);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await (await store.lock('job')).release();
});

test('redisStore remembers the newest checkpoint saved when its key is deleted', async () => {
  const store = redisStore({ client: redis, keyPrefix: `${prefix}:e` });
  await store.save(checkpoint(1));
  await store.save(checkpoint(2));
  await redis.del(`${prefix}:e:job:checkpoint:2`);
  await redis.zrem(`${prefix}:e:job:checkpoints`, '2');
  const { checkpoint: found, newestSaved } = await store.latest('job');
  assert.is(found?.checkpointId, 1);
  assert.is(newestSaved, 2);
});

test('a job stopped mid-stream resumes from its checkpoint in Redis with nothing lost or repeated', async () => {
  const store = redisStore({ client: redis, keyPrefix: `${prefix}:c` });
  const sink = memorySink<number>();
  const records = Array.from({ length: 300_000 }, (_, i) => i);
  const build = () => pipeline({ id: 'redis-job', guarantee: 'exactly-once', checkpoints: { interval: 5, store } }).from(collectionSource(records, { chunkSize: 64 })).to(sink);
  const first: JobHandle = build().start();
  await new Promise<void>((resolve, reject) =>
    first.events.subscribe({
      next: (e) => e.type === 'checkpoint-completed' && e.checkpointId === 3 && resolve(),
      complete: () => reject(new Error('the job ended before checkpoint 3')),
    }),
  );
  await first.stop();
  assert.ok(sink.committed.length < records.length, 'stopped mid-stream');
  await build().run();
  assert.equal(sink.committed, records);
});

test.run();
