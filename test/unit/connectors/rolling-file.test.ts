import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  basePathBuckets,
  CommitFailedError,
  ConfigurationError,
  dateTimeBuckets,
  defaultRollingPolicy,
  keyBuckets,
  MissingPartFileError,
  ResumeWouldDuplicateError,
  rollingFileSink,
} from 'onceflow';
import type { CommittingSinkWriter, PendingPartFile, RollingFileSinkOptions, RollingFileWriterState } from 'onceflow';
import { commitWith } from 'onceflow/testing';
import { withTempDir } from '../../temp-dir.js';

type Writer = CommittingSinkWriter<string, PendingPartFile, RollingFileWriterState>;

function open(options: RollingFileSinkOptions<string>, restoredCheckpointId = 0, restoredState?: RollingFileWriterState, replayCommittedOutput = false) {
  const sink = rollingFileSink<string>(options);
  const committer = sink.createCommitter?.();
  if (!committer) throw new Error('a rolling file sink has a committer');
  const writer = Promise.resolve(sink.createWriter({ jobId: 'job', taskId: 'sink-rolling-file', restoredCheckpointId, restoredState, replayCommittedOutput })) as Promise<Writer>;
  return { writer, committer };
}

async function writeAll(writer: Writer, records: string[]): Promise<void> {
  for (const r of records) await writer.write(r);
}

async function checkpoint(writer: Writer, id: number, final = false): Promise<{ committables: PendingPartFile[]; state: RollingFileWriterState }> {
  const committables = [...(await writer.prepareCommit(id, final))];
  return { committables, state: writer.snapshotState?.(id) as RollingFileWriterState };
}

async function tree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  // The committed marker is checked by the tests about it.
  for (const name of (await readdir(dir, { recursive: true })).sort().filter((n) => !/\.committed-\d+$/.test(n))) {
    const content = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (content !== undefined) files[name] = content;
  }
  return files;
}

test('rolling sink: parts are hidden in progress, hidden pending at the barrier, and visible once committed', async () => {
  await withTempDir('rf-life', async (dir) => {
    const { writer: opening, committer } = open({ directory: dir, bucketAssigner: basePathBuckets() });
    const writer = await opening;
    await writeAll(writer, ['a', 'b']);
    assert.equal(await tree(dir), { '.part-job-0.inprogress': '' }, 'buffered, hidden');
    const first = await checkpoint(writer, 1);
    assert.equal(first.committables, [], 'still open after a checkpoint: not rolled');
    assert.equal(first.state, { nextCounter: 1, inProgress: [{ bucket: '', counter: 0, validLength: 4, openedAt: first.state.inProgress[0]?.openedAt ?? -1 }] });
    assert.equal(await tree(dir), { '.part-job-0.inprogress': 'a\nb\n' }, 'fsynced at the barrier');
    const last = await checkpoint(writer, 2, true);
    assert.equal(await tree(dir), { '.part-job-0.pending': 'a\nb\n' });
    await commitWith(committer, last.committables, 2);
    assert.equal(await tree(dir), { 'part-job-0': 'a\nb\n' });
    await commitWith(committer, last.committables, 2);
    assert.equal(await tree(dir), { 'part-job-0': 'a\nb\n' }, 'committing again is harmless');
    await writer.close();
  });
});

test('rolling sink: restore truncates the in-progress part to its valid length, un-pends it, and deletes parts written after the checkpoint', async () => {
  await withTempDir('rf-restore', async (dir) => {
    const options = { directory: dir, bucketAssigner: keyBuckets((r: string) => r.slice(0, 1)) };
    const first = open(options);
    const writer = await first.writer;
    await writeAll(writer, ['a1', 'a2']);
    const one = await checkpoint(writer, 1);
    await commitWith(first.committer, one.committables, 1);
    // After checkpoint 1: more into part a/0, which checkpoint 2 (never completed) rolls and makes pending...
    await writeAll(writer, ['a3', 'b1']);
    const two = await checkpoint(writer, 2, true);
    assert.is(two.committables.length, 2);
    // ...and a part of a new bucket, then the process dies.
    await writeAll(writer, ['c1']);
    await writer.close();
    assert.equal(Object.keys(await tree(dir)), ['a/.part-job-0.pending', 'b/.part-job-1.pending', 'c/.part-job-2.inprogress']);

    const second = open(options, 1, one.state);
    const restored = await second.writer;
    assert.equal(await tree(dir), { 'a/.part-job-0.inprogress': 'a1\na2\n' }, 'back to checkpoint 1');
    await writeAll(restored, ['a3', 'b1']);
    const again = await checkpoint(restored, 2, true);
    await commitWith(second.committer, again.committables, 2);
    assert.equal(await tree(dir), { 'a/part-job-0': 'a1\na2\na3\n', 'b/part-job-1': 'b1\n' });
    await restored.close();
  });
});

test('rolling sink: a fresh start beside finished parts of its job refuses; started over on purpose, it never reuses their names', async () => {
  await withTempDir('rf-fresh', async (dir) => {
    await writeFile(join(dir, 'part-job-7'), 'old\n');
    await writeFile(join(dir, '.part-job-9.inprogress'), 'leftover of a run without a checkpoint\n');
    const refused = await open({ directory: dir, bucketAssigner: basePathBuckets() }).writer.catch((e: unknown) => e);
    assert.instance(refused, ResumeWouldDuplicateError);
    assert.match(String(refused), /holds 1 finished part file\(s\) of job 'job' \(.*part-job-7\), but the job starts from scratch.*replayCommittedOutput: true/);
    const { writer: opening, committer } = open({ directory: dir, bucketAssigner: basePathBuckets() }, 0, undefined, true);
    const writer = await opening;
    await writeAll(writer, ['new']);
    await commitWith(committer, (await checkpoint(writer, 1, true)).committables, 1);
    assert.equal(await tree(dir), { 'part-job-7': 'old\n', 'part-job-8': 'new\n' });
  });
});

test('rolling sink: commit of a part that is neither pending nor finished, or restore of a vanished in-progress part, is a MissingPartFileError', async () => {
  await withTempDir('rf-missing', async (dir) => {
    const options = { directory: dir, bucketAssigner: basePathBuckets() };
    const { writer: opening, committer } = open(options);
    const writer = await opening;
    await writeAll(writer, ['x']);
    const { state } = await checkpoint(writer, 1);
    const { committables } = await checkpoint(writer, 2, true);
    await writer.close();
    await rm(join(dir, '.part-job-0.pending'));
    const failed = await commitWith(committer, committables, 2).catch((e: unknown) => e);
    assert.instance(failed, CommitFailedError, 'a known reason fails the commit for good');
    assert.is((failed as CommitFailedError).retriable, false);
    const error = (failed as CommitFailedError).cause;
    assert.instance(error, MissingPartFileError);
    assert.match(String(error), /part-job-0.*records are lost/);
    const restore = await open(options, 1, state).writer.catch((e: unknown) => e);
    assert.instance(restore, MissingPartFileError);
  });
});

test('rolling sink: an in-progress part shorter than its stored length fails the restore clearly, without NUL padding', async () => {
  await withTempDir('rf-short', async (dir) => {
    const options = { directory: dir, bucketAssigner: basePathBuckets() };
    const first = open(options);
    const writer = await first.writer;
    await writeAll(writer, ['aaaa', 'bbbb']);
    const { state } = await checkpoint(writer, 1);
    await writer.close();
    await truncate(join(dir, '.part-job-0.inprogress'), 3);
    const error = await open(options, 1, state).writer.catch((e: unknown) => e);
    assert.instance(error, MissingPartFileError);
    assert.match(String(error), /\.part-job-0\.inprogress in progress with 10 bytes, but it has only 3 now: 7 bytes of records are lost/);
    assert.equal(await readFile(join(dir, '.part-job-0.inprogress'), 'utf8'), 'aaa', 'left as it was found');
  });
});

test('rolling sink: a finished part a consumer removed after its checkpoint was committed does not block a restore', async () => {
  await withTempDir('rf-consumed', async (dir) => {
    const options = { directory: dir, bucketAssigner: basePathBuckets() };
    const first = open(options);
    const writer = await first.writer;
    await writeAll(writer, ['x', 'y']);
    const one = await checkpoint(writer, 1, true);
    await commitWith(first.committer, one.committables, 1);
    await writer.close();
    assert.equal(await readdir(dir).then((n) => n.sort()), ['.part-job.committed-1', 'part-job-0']);
    await rm(join(dir, 'part-job-0'));
    // The restart commits checkpoint 1 again, as after any crash.
    const second = open(options, 1, one.state);
    await commitWith(second.committer, one.committables, 1);
    const restored = await second.writer;
    await writeAll(restored, ['z']);
    const two = await checkpoint(restored, 2, true);
    await commitWith(second.committer, two.committables, 2);
    assert.equal(await tree(dir), { 'part-job-1': 'z\n' });
    await restored.close();
  });
});

test('rolling sink: restored from a checkpoint older than the newest it committed, it refuses unless told to replay', async () => {
  await withTempDir('rf-behind', async (dir) => {
    const options = { directory: dir, bucketAssigner: basePathBuckets(), rollingPolicy: defaultRollingPolicy({ maxPartSize: 2 }) };
    const first = open(options);
    const writer = await first.writer;
    await writeAll(writer, ['a']);
    const one = await checkpoint(writer, 1);
    await commitWith(first.committer, one.committables, 1);
    await writeAll(writer, ['b']);
    const two = await checkpoint(writer, 2);
    await commitWith(first.committer, two.committables, 2);
    await writer.close();
    const refused = await open(options, 1, one.state).writer.catch((e: unknown) => e);
    assert.instance(refused, ResumeWouldDuplicateError);
    assert.match(String(refused), /committed the part files of checkpoint 2 of job 'job' .*but the job resumes from checkpoint 1/);
    assert.equal((refused as ResumeWouldDuplicateError).newestCheckpointId, 2);
    const replaying = await open(options, 1, one.state, true).writer;
    await replaying.close();
    assert.equal((await readdir(dir)).filter((n) => n.includes('.committed-')), [], 'replayed on purpose: the marker no longer stops restores from 1');
  });
});

test('rolling sink: rolls on size while writing, and on age and inactivity at checkpoints', async () => {
  await withTempDir('rf-policy', async (dir) => {
    let now = 1_000_000;
    const { writer: opening, committer } = open({
      directory: dir,
      bucketAssigner: basePathBuckets(),
      rollingPolicy: defaultRollingPolicy({ maxPartSize: 10, rolloverInterval: 1000, inactivityInterval: 300 }),
      now: () => now,
    });
    const writer = await opening;
    await writeAll(writer, ['1234', '5678', 'ab']);
    // 5 + 5 bytes reached maxPartSize: part 0 was closed and part 1 holds 'ab'.
    let done = await checkpoint(writer, 1);
    assert.equal(done.committables.map((c) => c.finished.slice(dir.length + 1)), ['part-job-0']);
    await commitWith(committer, done.committables, 1);
    now += 200;
    await writeAll(writer, ['cd']);
    now += 200;
    done = await checkpoint(writer, 2);
    assert.equal(done.committables, [], 'active and young: stays open');
    now += 301;
    done = await checkpoint(writer, 3);
    assert.equal(done.committables.map((c) => c.finished.slice(dir.length + 1)), ['part-job-1'], 'inactive for 301 ms');
    await commitWith(committer, done.committables, 3);
    await writeAll(writer, ['e']);
    for (let i = 0; i < 5; i++) {
      now += 250;
      await writeAll(writer, ['f']);
    }
    // Opened 1250 ms ago: the write after 1000 ms rolled it.
    done = await checkpoint(writer, 4);
    assert.equal(done.committables.map((c) => c.finished.slice(dir.length + 1)), ['part-job-2']);
    await commitWith(committer, done.committables, 4);
    assert.equal(await tree(dir), { 'part-job-0': '1234\n5678\n', 'part-job-1': 'ab\ncd\n', 'part-job-2': 'e\nf\nf\nf\nf\n', '.part-job-3.inprogress': 'f\n' });
    await writer.close();
  });
});

test('rolling sink: date-time buckets by processing time in UTC', () => {
  const at = Date.UTC(2026, 10, 24, 5, 17, 30);
  assert.is(dateTimeBuckets().bucketFor('x', at), '2026-11-24--05');
  assert.is(dateTimeBuckets({ granularity: 'day' }).bucketFor('x', at), '2026-11-24');
  assert.is(dateTimeBuckets({ granularity: 'minute' }).bucketFor('x', at), '2026-11-24--05-17');
});

test('rolling sink: bad options and bucket names throw ConfigurationError naming them', async () => {
  assert.throws(() => rollingFileSink({ directory: '' }), /directory/);
  assert.throws(() => rollingFileSink({ directory: 'x', partPrefix: '.hidden' }), /partPrefix/);
  assert.throws(() => rollingFileSink({ directory: 'x', partSuffix: '/x' }), /partSuffix/);
  assert.throws(() => defaultRollingPolicy({ maxPartSize: 0 }), /maxPartSize/);
  assert.throws(() => dateTimeBuckets({ granularity: 'week' as 'day' }), /granularity/);
  await withTempDir('rf-bucket', async (dir) => {
    const writer = await open({ directory: dir, bucketAssigner: keyBuckets((r: string) => r) }).writer;
    for (const bad of ['../escape', '.hidden', 'a//b']) {
      let error: unknown;
      try {
        await writer.write(bad);
      } catch (e) {
        error = e;
      }
      assert.instance(error, ConfigurationError, bad);
      assert.match(String(error), /bucketAssigner/);
    }
    await writer.close();
  });
});

test.run();
