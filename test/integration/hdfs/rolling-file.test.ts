import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { basePathBuckets, MissingPartFileError, rollingFileSink, webhdfsBackend } from 'onceflow';
import type { CommittingSinkWriter, PendingPartFile, RollingFileBackend, RollingFileWriterState } from 'onceflow';
import { commitWith } from 'onceflow/testing';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';
import { requireServer, uniqueName } from '../env.js';

const url = requireServer('hdfs');
const backend = webhdfsBackend({ url, bufferSize: 1024 });
const unique = (prefix: string): string => `/onceflow-test/${uniqueName(prefix)}`;

async function read(path: string): Promise<string> {
  const response = await fetch(`${url}/webhdfs/v1${path}?op=OPEN&user.name=${process.env.USER ?? 'onceflow'}`);
  if (!response.ok) throw new Error(`OPEN ${path}: HTTP ${response.status}`);
  return response.text();
}

async function contents(b: RollingFileBackend, directory: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  // The sink's committed marker is checked where a test is about it.
  for (const name of (await b.list(directory)).sort().filter((n) => !/\.committed-\d+$/.test(n))) files[name] = await read(`${directory}/${name}`);
  return files;
}

type Writer = CommittingSinkWriter<string, PendingPartFile, RollingFileWriterState>;

test('webhdfs backend: create, append at persist, size, rename, truncate and append again, list, delete', async () => {
  const dir = unique('backend');
  const writer = await backend.create(`${dir}/a/file`);
  await writer.write(Buffer.from('hello '));
  await writer.persist();
  await writer.write(Buffer.from('world\n'));
  await writer.close();
  assert.is(await backend.size(`${dir}/a/file`), 12);
  assert.is(await backend.size(`${dir}/a/none`), undefined);
  await backend.rename(`${dir}/a/file`, `${dir}/a/renamed`);
  const resumed = await backend.resume(`${dir}/a/renamed`, 6);
  await resumed.write(Buffer.from('there\n'));
  await resumed.close();
  assert.equal(await contents(backend, dir), { 'a/renamed': 'hello there\n' });
  assert.equal(await backend.list(`${dir}/missing`), []);
  await backend.delete(`${dir}/a/renamed`);
  assert.equal(await backend.list(dir), []);
});

test('rolling sink on HDFS: restore truncates the in-progress part to its valid length and deletes what later checkpoints left', async () => {
  const dir = unique('restore');
  const options = { directory: dir, backend, bucketAssigner: basePathBuckets() };
  const open = async (restoredCheckpointId: number, restoredState?: RollingFileWriterState) => {
    const sink = rollingFileSink<string>(options);
    const writer = (await sink.createWriter({ jobId: 'hdfs', taskId: 'sink', restoredCheckpointId, restoredState })) as Writer;
    const committer = sink.createCommitter?.();
    if (!committer) throw new Error('no committer');
    return { writer, committer };
  };
  const first = await open(0);
  for (const r of ['a1', 'a2']) await first.writer.write(r);
  const one = await first.writer.prepareCommit(1, false);
  const state = first.writer.snapshotState?.(1) as RollingFileWriterState;
  await commitWith(first.committer, one, 1);
  for (const r of ['a3', 'a4']) await first.writer.write(r);
  await first.writer.prepareCommit(2, true);
  await first.writer.close();
  assert.equal(Object.keys(await contents(backend, dir)), ['.part-hdfs-0.pending']);

  const second = await open(1, state);
  assert.equal(await contents(backend, dir), { '.part-hdfs-0.inprogress': 'a1\na2\n' }, 'cut back to checkpoint 1');
  await second.writer.write('b1');
  const last = await second.writer.prepareCommit(2, true);
  await commitWith(second.committer, last, 2);
  await commitWith(second.committer, last, 2);
  assert.equal(await contents(backend, dir), { 'part-hdfs-0': 'a1\na2\nb1\n' });
  // A consumer took the finished part after checkpoint 2 was committed: not the sink's business any more...
  assert.ok((await backend.list(dir)).includes('.part-hdfs.committed-2'));
  await backend.delete(`${dir}/part-hdfs-0`);
  await commitWith(second.committer, last, 2);
  // ...but without the marker's word that 2 was committed, the part is lost.
  await backend.delete(`${dir}/.part-hdfs.committed-2`);
  const missing = await commitWith(second.committer, last, 2).catch((e: unknown) => (e as Error).cause);
  assert.instance(missing, MissingPartFileError);
});

test('rolling sink on HDFS fed by the file source, SIGKILLed twice: finished parts hold each record exactly once, in order', async () => {
  await withTempDir('hdfs-kill', async (root) => {
    await mkdir(join(root, 'in'));
    const records = Array.from({ length: 20_000 }, (_, i) => `record ${i} ✓`);
    await writeFile(join(root, 'in', 'in.txt'), records.join('\n'));
    const out = unique('killed');
    const { kills } = await runWithKills(new URL('../../unit/connectors/fixtures/file-job.ts', import.meta.url), [join(root, 'in'), out, join(root, 'checkpoints'), 'rolling', url], { kills: 2 });
    assert.is(kills, 2);
    const names = (await backend.list(out)).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
    assert.ok(names.every((n) => !/^\..*\.(inprogress|pending)$/.test(n)), `no hidden part left: ${names.join(' ')}`);
    const lines: string[] = [];
    for (const name of names) lines.push(...(await read(`${out}/${name}`)).split('\n').filter(Boolean));
    assert.equal(lines, records.map((r) => r.toUpperCase()));
  });
});

test.run();
