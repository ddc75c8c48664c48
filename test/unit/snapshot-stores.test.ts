import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { CorruptCheckpointError, fileStore, jsonCodec, memoryStore, structuredCloneCodec } from 'onceflow';
import { redisStore } from 'onceflow/redis';
import type { Checkpoint } from 'onceflow';
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
    assert.equal((await readdir(join(directory, 'job'))).sort(), ['chk-2.ckpt', 'chk-3.ckpt']);
    assert.equal(await store.latest('other-job'), { checkpoint: undefined, corrupt: [] });
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
    assert.equal((await readdir(join(directory, 'job'))).sort(), ['chk-7.ckpt', 'chk-8.ckpt']);
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

test('memoryStore keeps a copy: changing a saved checkpoint object does not change the stored one', async () => {
  const store = memoryStore();
  const saved = checkpoint(1) as { sources: Record<string, unknown> };
  await store.save(saved as unknown as Checkpoint);
  saved.sources['0-collection'] = 999;
  assert.is((await store.latest('job')).checkpoint?.sources['0-collection'], 10);
});

test('fileStore validates its options', () => {
  assert.throws(() => fileStore({ retain: 0 }), /retain/);
});

test('stores say where they keep checkpoints, for log lines, without a password', () => {
  assert.is(fileStore({ directory: 'ckpt' }).location, resolve('ckpt'));
  assert.is(memoryStore().location, 'memory');
  const client = new Redis({ host: '10.0.0.7', port: 6380, db: 2, password: 'secret', lazyConnect: true });
  assert.is(redisStore({ client, keyPrefix: 'app' }).location, 'redis://10.0.0.7:6380/2 keys app:*');
  client.disconnect();
});

test.run();
