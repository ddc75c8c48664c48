// A checkpoint written by an earlier release, committed as a fixture: every later release must
// restore it, so a change to the source checkpoint format (it carries a version) keeps reading it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectionSource, ConfigurationError, count, fileStore, keyBy, map, memoryStore, pipeline } from 'onceflow';
import { collectingSink } from 'onceflow/testing';
import { withTempDir } from '../temp-dir.js';

const fixture = fileURLToPath(new URL('../fixtures/checkpoint-v1', import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('a version 1 checkpoint (source split positions, keyed state) restores: the job goes on from record 1024 with the counts it had', async () => {
  await withTempDir('format-v1', async (dir) => {
    await cp(fixture, dir, { recursive: true });
    const sink = collectingSink<string>();
    const out = sink.written;
    await pipeline({ id: 'fixture-v1', checkpoints: { interval: 1000, store: fileStore({ directory: dir }) }, logger: quiet, signals: false })
      .from(collectionSource(Array.from({ length: 3000 }, (_, i) => i), { chunkSize: 10 }))
      .pipe(keyBy((n: number) => n % 3), count(), map(({ key, value }) => `${key}:${value}`))
      .to(sink)
      .run();
    // The fixture holds position 1024 and counts 342, 341, 341 for keys 0, 1, 2.
    assert.is(out.length, 3000 - 1024);
    assert.equal(out.slice(0, 3), ['1:342', '2:342', '0:343']);
    assert.equal(out.slice(-3), ['0:1000', '1:1000', '2:1000']);
  });
});

test('source state in a format the release does not know fails the restore with a clear error, naming the source', async () => {
  const store = memoryStore();
  await store.save({ jobId: 'old-format', checkpointId: 7, timestamp: 0, final: false, sources: { '0-collection': 1024 }, operators: {}, sinks: {} });
  const error = await pipeline({ id: 'old-format', checkpoints: { interval: 1000, store }, logger: quiet, signals: false })
    .from(collectionSource([1, 2, 3]))
    .pipe(map((n: number) => String(n)))
    .to(collectingSink<string>())
    .run()
    .catch((e: unknown) => e);
  const cause = (error as Error).cause ?? error;
  assert.instance(cause, ConfigurationError);
  assert.match(String(cause), /source '0-collection' in a format this release cannot read/);
});

test.run();
