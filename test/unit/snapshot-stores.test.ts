import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CorruptCheckpointError, fileStore, JobLockedError, jsonCodec, memoryStore, structuredCloneCodec } from 'onceflow';
import { redisStore } from 'onceflow/redis';
import type { Checkpoint } from 'onceflow';
import { frameCheckpoint } from '../../src/snapshot/framing.js';
import { withTempDir } from '../temp-dir.js';

const checkpoint = (checkpointId: number, state: unknown = checkpointId): Checkpoint => ({
  jobId: 'job',
  checkpointId,
  timestamp: 1000 + checkpointId,
  final: false,
  sources: { '0-collection': checkpointId * 10 },
  operators: { '0-reduce': { accumulators: [['k', state]] } },
  sinks: { 'sink-memory': { committables: [{ transactionId: `t${checkpointId}` }], writerState: null } },
});

test('fileStore returns the newest checkpoint and keeps only the last k', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory, retain: 2 });
    for (const id of [1, 2, 3]) assert.ok((await store.save(checkpoint(id))) > 0);
    assert.equal((await store.latest('job')).checkpoint, checkpoint(3));
    assert.equal((await readdir(join(directory, 'job'))).sort(), ['chk-2.ckpt', 'chk-3.ckpt', 'newest']);
    assert.equal(await store.latest('other-job'), { checkpoint: undefined, corrupt: [], newestSaved: undefined });
  }));

test('fileStore falls back to the previous checkpoint when the newest is truncated or altered', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory, codec: jsonCodec });
    await store.save(checkpoint(1));
    await store.save(checkpoint(2));
    await store.save(checkpoint(3));
    const path3 = join(directory, 'job', 'chk-3.ckpt');
    await truncate(path3, (await readFile(path3)).length - 5);
    const path2 = join(directory, 'job', 'chk-2.ckpt');
    await writeFile(path2, (await readFile(path2, 'utf8')).replace('"t2"', '"t9"'));
    const { checkpoint: found, corrupt } = await store.latest('job');
    assert.is(found?.checkpointId, 1);
    assert.is(corrupt.length, 2);
    assert.instance(corrupt[0], CorruptCheckpointError);
    assert.match(corrupt[0]!.message, /chk-3\.ckpt is truncated/);
    assert.match(corrupt[1]!.message, /chk-2\.ckpt fails its SHA-256 checksum/);
  }));

test('fileStore leaves no temporary file behind and writes a header a person can read', () =>
  withTempDir('store', async (directory) => {
    await fileStore({ directory }).save(checkpoint(7));
    await fileStore({ directory, codec: jsonCodec }).save(checkpoint(8));
    assert.equal((await readdir(join(directory, 'job'))).sort(), ['chk-7.ckpt', 'chk-8.ckpt', 'newest']);
    const header = async (id: number) => JSON.parse((await readFile(join(directory, 'job', `chk-${id}.ckpt`), 'utf8')).split('\n')[0]!) as Record<string, unknown>;
    assert.is((await header(7)).format, 'onceflow-checkpoint');
    assert.is((await header(7)).codec, 'structured-clone', 'V8 serialization by default');
    assert.is((await header(8)).codec, 'json');
  }));

test('the structured-clone codec keeps values JSON cannot', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory, codec: structuredCloneCodec });
    const state = { when: new Date(5), big: 10n ** 20n, missing: undefined, nan: Number.NaN };
    await store.save(checkpoint(1, state));
    const restored = (await store.latest('job')).checkpoint;
    assert.equal(restored?.operators['0-reduce'], { accumulators: [['k', state]] });
  }));

test('the structured-clone codec writes keyed state of numbers as typed columns, and every number comes back as it was', () => {
  const numbers = [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, -(2 ** 31)];
  const full = { onceflowEntries: 1, keys: numbers.map((_, i) => i), values: numbers };
  const mixed = { onceflowEntries: 1, keys: ['a', 1], values: [1, 2] };
  const delta = { onceflowDelta: 1, changed: { onceflowEntries: 1, keys: [7, 8], values: [70, 80] }, removed: [9] };
  const decoded = structuredCloneCodec.decode(structuredCloneCodec.encode({ ...checkpoint(1), operators: { '0-reduce': { full, mixed, delta } } }));
  const state = decoded.operators['0-reduce'] as Record<string, { keys: unknown; values: ArrayLike<number>; changed: { keys: unknown; values: unknown } }>;
  assert.instance(state.full!.keys, Int32Array);
  // -0 and fractions do not fit an Int32Array.
  assert.instance(state.full!.values, Float64Array);
  numbers.forEach((n, i) => assert.ok(Object.is(state.full!.values[i], n), `value ${i}: ${state.full!.values[i]} for ${n}`));
  assert.equal(state.mixed!.keys, ['a', 1], 'keys that are not all numbers stay an array');
  assert.instance(state.mixed!.values, Int32Array);
  assert.equal(state.delta!.changed, { onceflowEntries: 1, keys: Int32Array.of(7, 8), values: Int32Array.of(70, 80) });
  // Written again as JSON (the typed columns of a decoded checkpoint), the keyed state keeps its entries.
  const json = jsonCodec.decode(jsonCodec.encode(decoded)).operators['0-reduce'] as Record<string, unknown>;
  assert.equal(json.delta, { onceflowDelta: 1, changed: { onceflowEntries: 1, keys: [7, 8], values: [70, 80] }, removed: [9] });
});

test('a large checkpoint is hashed a megabyte a turn: immediates run between the megabytes of 16 MB, and the header holds the SHA-256 of the body', async () => {
  const state = { onceflowEntries: 1, keys: new Float64Array(1_000_000).map((_, i) => i), values: new Float64Array(1_000_000) };
  let turns = 0;
  let framed = false;
  const turn = (): void => {
    turns++;
    if (!framed) setImmediate(turn);
  };
  setImmediate(turn);
  const { header, body } = await frameCheckpoint(checkpoint(1, state), structuredCloneCodec);
  framed = true;
  assert.ok(body.byteLength > 15 * 2 ** 20);
  assert.ok(turns >= 15, `${turns} turns between ${body.byteLength} bytes`);
  assert.is((JSON.parse(header.toString('utf8')) as { sha256: string }).sha256, createHash('sha256').update(body).digest('hex'));
});

test('a checkpoint is encoded in a turn of its own, not in the turn of the barrier that took it', async () => {
  let ran = false;
  let ranBeforeEncoding: boolean | undefined;
  const probe = { ...jsonCodec, encode: (c: Checkpoint) => ((ranBeforeEncoding = ran), jsonCodec.encode(c)) };
  setImmediate(() => (ran = true));
  await frameCheckpoint(checkpoint(1), probe);
  assert.is(ranBeforeEncoding, true);
});

test('memoryStore keeps a copy: changing a saved checkpoint object does not change the stored one', async () => {
  const store = memoryStore();
  const saved = checkpoint(1) as { sources: Record<string, unknown> };
  await store.save(saved as unknown as Checkpoint);
  saved.sources['0-collection'] = 999;
  assert.is((await store.latest('job')).checkpoint?.sources['0-collection'], 10);
});

test('fileStore: a second lock of a job fails at once naming the holder; after release it can be taken again', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory });
    const lock = await store.lock('job');
    const error = await fileStore({ directory }).lock('job').catch((e: unknown) => e);
    assert.instance(error, JobLockedError);
    assert.match((error as JobLockedError).holder, new RegExp(`^pid ${process.pid} on host ${hostname()}, since `));
    assert.match(String(error), /job 'job' is already running \(pid \d+ .*job\.lock is held/);
    assert.ok((await store.lock('other-job')) !== undefined, 'another job id is another lock');
    await lock.release();
    await (await store.lock('job')).release();
  }));

test('fileStore: the lock of a dead process is taken over; a live process keeps it', () =>
  withTempDir('store', async (directory) => {
    const lockPath = join(directory, 'job', 'job.lock');
    await mkdir(join(directory, 'job'), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(lockPath, JSON.stringify({ pid: dead, host: hostname(), processStart: '1', since: '2026-01-01T00:00:00.000Z' }));
    const lock = await fileStore({ directory }).lock('job');
    assert.match(await readFile(lockPath, 'utf8'), new RegExp(`"pid":${process.pid}`));
    await lock.release();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await writeFile(lockPath, JSON.stringify({ pid: live.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
      const error = await fileStore({ directory }).lock('job').catch((e: unknown) => e);
      assert.instance(error, JobLockedError);
      assert.match((error as JobLockedError).holder, new RegExp(`^pid ${live.pid} `));
    } finally {
      live.kill();
    }
  }));

test('memoryStore: one lock per job id', async () => {
  const store = memoryStore();
  const lock = await store.lock('job');
  assert.instance(await store.lock('job').catch((e: unknown) => e), JobLockedError);
  await lock.release();
  await (await store.lock('job')).release();
});

test('fileStore resolves a relative directory once, against the working directory it was made in', () => {
  const described = fileStore({ directory: 'relative/checkpoints' }).describe('job');
  assert.ok(described.startsWith(join(process.cwd(), 'relative', 'checkpoints', 'job')), described);
});

test('fileStore removes the temporary file of a failed save, and leftovers of torn saves when the job is locked', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory });
    // A directory where the checkpoint file should go makes the rename fail.
    await mkdir(join(directory, 'job', 'chk-4.ckpt', 'x'), { recursive: true });
    const failed = await store.save(checkpoint(4)).catch((e: unknown) => e);
    assert.instance(failed, Error);
    assert.equal((await readdir(join(directory, 'job'))).filter((n) => n.endsWith('.tmp')), []);
    await writeFile(join(directory, 'job', 'chk-5.ckpt.12345.tmp'), 'torn');
    await (await store.lock('job')).release();
    assert.equal((await readdir(join(directory, 'job'))).filter((n) => n.endsWith('.tmp')), []);
  }));

test('fileStore remembers the newest checkpoint it saved when that checkpoint is deleted', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory });
    for (const id of [1, 2, 3]) await store.save(checkpoint(id));
    await rm(join(directory, 'job', 'chk-3.ckpt'));
    const { checkpoint: found, newestSaved } = await store.latest('job');
    assert.is(found?.checkpointId, 2);
    assert.is(newestSaved, 3);
  }));

test('memoryStore returns the checkpoint with the highest id, and the newest saved', async () => {
  const store = memoryStore();
  await store.save(checkpoint(2));
  await store.save(checkpoint(1));
  const { checkpoint: found, newestSaved } = await store.latest('job');
  assert.is(found?.checkpointId, 2);
  assert.is(newestSaved, 2);
});

test('fileStore validates its options', () => {
  assert.throws(() => fileStore({ retain: 0 }), /retain/);
});

test("stores say where they keep a job's checkpoints, for log lines, without a password", () => {
  assert.is(fileStore({ directory: 'ckpt' }).describe('job'), `${join(process.cwd(), 'ckpt', 'job')} (fileStore)`);
  assert.is(memoryStore().describe('job'), 'memory of this process (memoryStore)');
  const client = new Redis({ host: '10.0.0.7', port: 6380, db: 2, password: 'secret', lazyConnect: true });
  assert.is(redisStore({ client, keyPrefix: 'app' }).describe('job'), 'redis://10.0.0.7:6380/2 keys app:job:* (redisStore)');
  client.disconnect();
});

test.run();
