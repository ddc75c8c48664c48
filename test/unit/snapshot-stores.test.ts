import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptCheckpointError, fileStore, memoryStore, structuredCloneCodec } from 'onceflow';
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
    assert.equal((await readdir(join(directory, 'job'))).sort(), ['chk-2.ckpt', 'chk-3.ckpt', 'newest']);
    assert.equal(await store.latest('other-job'), { checkpoint: undefined, corrupt: [], newestSaved: undefined });
  }));

test('fileStore falls back to the previous checkpoint when the newest is truncated or altered', () =>
  withTempDir('store', async (directory) => {
    const store = fileStore({ directory });
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
    assert.equal((await readdir(join(directory, 'job'))).sort(), ['chk-7.ckpt', 'newest']);
    const header = JSON.parse((await readFile(join(directory, 'job', 'chk-7.ckpt'), 'utf8')).split('\n')[0]!) as Record<string, unknown>;
    assert.is(header.format, 'onceflow-checkpoint');
    assert.is(header.codec, 'json');
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

test.run();
