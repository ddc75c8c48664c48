import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realpathSync } from 'node:fs';
import { readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  collectionSource,
  ConfigurationError,
  exponentialBackoffRestart,
  fileSource,
  flatMap,
  fileStore,
  fixedDelayRestart,
  JobFailedError,
  JobLockedError,
  map,
  memoryStore,
  noRestart,
  OperatorError,
  pipeline,
  staticSplitEnumerator,
  uid,
  count,
  keyBy,
  ResumeWouldDuplicateError,
  stdoutSink,
  union,
} from 'onceflow';
import type { JobEvent, JobHandle, Sink, Source } from 'onceflow';
import { collectingSink, memorySink } from 'onceflow/testing';
import { withTempDir } from '../temp-dir.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Resolves when checkpoint `id` completes; rejects if the job ends first, so a test fails instead of hanging. */
function untilCheckpoint(handle: JobHandle, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    handle.events.subscribe({
      next: (e) => e.type === 'checkpoint-completed' && e.checkpointId === id && resolve(),
      complete: () => reject(new Error(`the job ended before checkpoint ${id} completed`)),
    });
  });
}

test('a finished job has committed every record exactly once, through its final checkpoint', async () => {
  const sink = memorySink<number>();
  const job = pipeline({ id: 'e2e', guarantee: 'exactly-once', checkpoints: { interval: 2, store: memoryStore() } })
    .from(collectionSource(range(50_000)))
    .pipe(map((x: number) => x * 2))
    .to(sink);
  assert.is(job.guarantee, 'exactly-once');
  const handle = job.start();
  const events: JobEvent[] = [];
  handle.events.subscribe((e) => events.push(e));
  const result = await handle.done;
  assert.equal(result, { outcome: 'finished', attempts: 1 });
  assert.equal(sink.committed, range(50_000).map((x) => x * 2));
  const completed = events.filter((e) => e.type === 'checkpoint-completed');
  assert.ok(completed.length >= 2, `periodic checkpoints plus the final one, got ${completed.length}`);
  assert.ok(completed.at(-1)?.type === 'checkpoint-completed' && completed.at(-1)?.final);
});

test('failures thrown by an operator are recovered from the last checkpoint with no loss and no duplicate', async () => {
  const sink = memorySink<number>();
  const failAt = new Set([7_000, 23_000, 41_000]);
  const job = pipeline({
    id: 'recover',
    guarantee: 'exactly-once',
    checkpoints: { interval: 1, store: memoryStore() },
    restart: fixedDelayRestart({ attempts: 5, delay: 1 }),
    logger: quiet,
  })
    .from(collectionSource(range(50_000), { chunkSize: 256 }))
    .pipe(
      map((x: number) => {
        if (failAt.delete(x)) throw new Error(`injected failure at ${x}`);
        return x + 1;
      }),
    )
    .to(sink);
  const handle = job.start();
  const restarts: JobEvent[] = [];
  handle.events.subscribe((e) => e.type === 'restarting' && restarts.push(e));
  const result = await handle.done;
  assert.is(result.attempts, 4);
  assert.is(restarts.length, 3);
  assert.ok(sink.written.length > 50_000, 'replays wrote some records twice into the writers');
  assert.equal(sink.committed, range(50_000).map((x) => x + 1));
});

test('a job without a restart strategy fails with the cause', async () => {
  const job = pipeline({ id: 'no-restart', checkpoints: { interval: 10, store: memoryStore() } })
    .from(collectionSource([1, 2, 3]))
    .pipe(
      map((x: number) => {
        if (x === 2) throw new RangeError('two');
        return x;
      }),
    )
    .to(memorySink<number>());
  try {
    await job.run();
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, JobFailedError);
    // The operator's error, named after the operator and the record, with the thrown error as its cause.
    assert.instance((error as JobFailedError).cause, OperatorError);
    assert.instance(((error as JobFailedError).cause as OperatorError).cause, RangeError);
    assert.is((error as JobFailedError).attempts, 1);
  }
});

test('a non-retriable error is not restarted whatever the strategy', async () => {
  const job = pipeline({ id: 'config', checkpoints: { interval: 10, store: memoryStore() }, restart: fixedDelayRestart({ attempts: 9, delay: 1 }), logger: quiet })
    .from(collectionSource([1]))
    .pipe(
      map(() => {
        throw new ConfigurationError('bad');
      }),
    )
    .to(memorySink<number>());
  const error = await job.run().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, JobFailedError);
  assert.is((error as JobFailedError).attempts, 1);
});

test('a job stopped mid-stream and started again with the same id and store resumes where its checkpoint was', async () => {
  const store = memoryStore();
  const sink = memorySink<number>();
  const build = () =>
    pipeline({ id: 'resume', guarantee: 'exactly-once', checkpoints: { interval: 1, store } })
      .from(collectionSource(range(200_000), { chunkSize: 128 }))
      .to(sink);
  const first = build().start();
  await untilCheckpoint(first, 5);
  const stopped = await first.stop();
  assert.is(stopped.outcome, 'stopped');
  const committedAtStop = sink.committed.length;
  assert.ok(committedAtStop > 0 && committedAtStop < 200_000, `stopped mid-stream, committed ${committedAtStop}`);
  const restoredFrom: number[] = [];
  const second = build().start();
  second.events.subscribe((e) => e.type === 'restored' && restoredFrom.push(e.checkpointId));
  await second.done;
  assert.ok(restoredFrom[0] !== undefined && restoredFrom[0] >= 5);
  assert.equal(sink.committed, range(200_000));
});

test('drain takes a final checkpoint where the sources are and commits everything read', async () => {
  const store = memoryStore();
  const sink = memorySink<number>();
  const build = () =>
    pipeline({ id: 'drain', checkpoints: { interval: 1000, store } })
      .from(collectionSource(range(100_000), { chunkSize: 100 }))
      .to(sink);
  const handle = build().start();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const result = await handle.drain();
  assert.is(result.outcome, 'drained');
  assert.equal(sink.committed, sink.written, 'everything written was committed by the final checkpoint');
  assert.ok(sink.committed.length < 100_000);
  await build().run();
  assert.equal(sink.committed, range(100_000));
});

test('drain or stop right after start, before the first attempt is wired, still ends the job', async () => {
  const store = memoryStore();
  const sink = memorySink<number>();
  const build = () => pipeline({ id: 'early', checkpoints: { interval: 1000, store } }).from(collectionSource(range(10_000))).to(sink);
  assert.is((await build().start().stop()).outcome, 'stopped');
  const drained = await build().start().drain();
  assert.is(drained.outcome, 'drained');
  assert.equal(sink.committed, sink.written);
  await build().run();
  assert.equal(sink.committed, range(10_000));
});

test('a sink slower than its source pauses the source: in-flight records stay under the high-water mark', async () => {
  let queued = 0;
  let maxQueued = 0;
  const slowSink = collectingSink<number>({ slow: true });
  const { written } = slowSink;
  const job = pipeline({ id: 'slow', checkpoints: { interval: 20, store: memoryStore() }, flowControl: { highWaterMark: 500, lowWaterMark: 100 } })
    .from(collectionSource(range(20_000), { chunkSize: 64 }))
    .pipe(
      map((x: number) => {
        queued = x - written.length;
        maxQueued = Math.max(maxQueued, queued);
        return x;
      }),
    )
    .to(slowSink);
  await job.run();
  assert.is(written.length, 20_000);
  // The source stops within one chunk of the mark.
  assert.ok(maxQueued <= 500 + 64, `at most ${500 + 64} in flight, saw ${maxQueued}`);
});

test('a reader whose fetches return far more than the high-water mark cannot put records ahead of those queued in the sink', async () => {
  const total = 5_000;
  let next = 0;
  const eager: Source<number, 'exactly-once'> = {
    name: 'eager',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => [{ splitId: 'only' }]),
    createReader: () => ({
      addSplits() {},
      // Each fetch is 20 times the high-water mark: the runtime, not the reader, must hold the rest back.
      async fetch() {
        const start = next;
        next = Math.min(total, start + 2_000);
        return {
          batches: [{ splitId: 'only', records: range(next - start).map((i) => start + i), positionAfter: (i: number) => start + i + 1 }],
          finished: next === total ? ['only'] : [],
        };
      },
      wakeUp() {},
      close() {},
    }),
  };
  const slowSink = collectingSink<number>({ slow: true });
  const { written } = slowSink;
  await pipeline({ id: 'eager', flowControl: { highWaterMark: 100, lowWaterMark: 10 } })
    .from(eager)
    .to(slowSink)
    .run();
  assert.equal(written, range(total));
});

test('union merges streams of one pipeline and checkpoints through alignment', async () => {
  const sink = memorySink<string>();
  const p = pipeline({ id: 'union', guarantee: 'exactly-once', checkpoints: { interval: 1, store: memoryStore() } });
  const letters = p.from(collectionSource(range(3000).map((i) => `a${i}`), { chunkSize: 10 }));
  const digits = p.from(collectionSource(range(1000).map((i) => `b${i}`), { chunkSize: 3 }));
  await union(letters, digits).to(sink).run();
  assert.is(sink.committed.length, 4000);
  assert.equal(sink.committed.filter((s) => s.startsWith('a')), range(3000).map((i) => `a${i}`));
  assert.equal(sink.committed.filter((s) => s.startsWith('b')), range(1000).map((i) => `b${i}`));
});

test('stdoutSink writes one line per record', async () => {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await pipeline({ id: 'stdout' })
    .from(collectionSource(['x', { y: 1 }]))
    .to(stdoutSink({ stream }))
    .run();
  assert.is(Buffer.concat(chunks).toString(), 'x\n{"y":1}\n');
});

test('readers are closed when the sink cannot even be created', async () => {
  let closed = 0;
  const job = pipeline({ id: 'no-writer' })
    .from({
      name: 'tracked',
      guarantee: 'exactly-once',
      replay: 'deterministic',
      createEnumerator: (init) => staticSplitEnumerator(init, () => []),
      createReader: () => ({ addSplits() {}, fetch: () => new Promise<never>(() => {}), wakeUp() {}, close: () => void closed++ }),
    })
    .to({
      name: 'broken',
      guarantee: 'at-least-once',
      requires: 'at-most-once',
      deterministicOnly: false,
      kind: 'flushing',
      createWriter: () => {
        throw new Error('cannot connect');
      },
    });
  await job.run().then(
    () => assert.unreachable('should fail'),
    (error: unknown) => assert.match(String((error as Error).cause), /cannot connect/),
  );
  assert.is(closed, 1);
});

test('a corrupt newest checkpoint stops an exactly-once job with its choices; with replayCommittedOutput it resumes from the one before', async () => {
  await withTempDir('corrupt', async (directory) => {
    const sink = memorySink<number>();
    const warnings: string[] = [];
    const build = (replayCommittedOutput: boolean) =>
      pipeline({
        id: 'corrupt',
        checkpoints: { interval: 1, store: fileStore({ directory }), replayCommittedOutput },
        logger: { ...quiet, warn: (fields, message) => warnings.push(typeof fields === 'string' ? fields : `${message ?? ''}: ${String(fields.err ?? '')}`) },
      })
        .from(collectionSource(range(1_000_000), { chunkSize: 50 }))
        .to(sink);
    const first = build(false).start();
    await untilCheckpoint(first, 3);
    await first.stop();
    const files = (await readdir(join(directory, 'corrupt'))).filter((f) => f.endsWith('.ckpt')).sort((a, b) => Number(/\d+/.exec(b)?.[0]) - Number(/\d+/.exec(a)?.[0]));
    const newest = join(directory, 'corrupt', files[0]!);
    await truncate(newest, (await stat(newest)).size - 5);
    const refused = await build(false).run().catch((e: unknown) => e);
    assert.instance(refused, ResumeWouldDuplicateError);
    assert.match(String(refused), /is unreadable \(checkpoint .* is truncated.*would write that output again.*replayCommittedOutput: true/);
    const restored: number[] = [];
    const second = build(true).start();
    second.events.subscribe((e) => e.type === 'restored' && restored.push(e.checkpointId));
    await second.done;
    assert.is(restored[0], Number(/\d+/.exec(files[1]!)?.[0]));
    assert.ok(warnings.some((w) => /is truncated.*resuming from checkpoint \d+; output written after it is written again/.test(w)), warnings.join('\n'));
  });
});

test('one job, one runner: a second runner of the same job and store fails at once naming the first', async () => {
  await withTempDir('locked', async (directory) => {
    const build = () =>
      pipeline({ id: 'locked', checkpoints: { interval: 5, store: fileStore({ directory }) }, logger: quiet })
        .from(collectionSource(range(5_000_000), { chunkSize: 50 }))
        .to(memorySink<number>());
    const first = build().start();
    await untilCheckpoint(first, 1);
    const error = await build().run().catch((e: unknown) => e);
    assert.instance(error, JobLockedError);
    assert.match(String(error), new RegExp(`job 'locked' is already running \\(pid ${process.pid} on host `));
    const stopped = await first.stop();
    assert.is(stopped.outcome, 'stopped');
    // Released: the next runner resumes.
    const again = build().start();
    const restored = await new Promise((resolve) => again.events.subscribe((e) => e.type === 'restored' && resolve(e.checkpointId)));
    assert.ok(Number(restored) >= 1);
    await again.stop();
  });
});

test('the first log line of a run says where its checkpoints are, as an absolute path', async () => {
  await withTempDir('where', async (directory) => {
    const info: string[] = [];
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      await pipeline({ id: 'where', checkpoints: { interval: 5, store: fileStore({ directory: 'state' }) }, logger: { ...quiet, info: (fields, message) => info.push(typeof fields === 'string' ? fields : (message ?? '')) } })
        .from(collectionSource(range(10)))
        .to(memorySink<number>())
        .run();
    } finally {
      process.chdir(cwd);
    }
    assert.match(info[0] ?? '', new RegExp(`^job 'where' starting; its checkpoints are kept in ${join(realpathSync(directory), 'state', 'where').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  });
});

test('restart strategies space their attempts as configured', async () => {
  const fixed = fixedDelayRestart({ attempts: 2, delay: 50 });
  assert.equal([1, 2, 3].map((n) => fixed.nextDelay(n)), [50, 50, undefined]);
  const backoff = exponentialBackoffRestart({ initialDelay: 10, maxDelay: 35, maxAttempts: 4 });
  assert.equal([1, 2, 3, 4, 5].map((n) => backoff.nextDelay(n)), [10, 20, 35, 35, undefined]);
  assert.is(noRestart().nextDelay(1), undefined);
});

test('bad pipeline options are rejected with a clear error', () => {
  assert.throws(() => pipeline({ id: '' }), /pipeline id/);
  assert.throws(() => pipeline({ id: 'x', checkpoints: { interval: 0 } }), /interval/);
  assert.throws(() => pipeline({ id: 'x', restart: fixedDelayRestart({ attempts: 1, delay: 1 }) }), /no checkpoints/);
  assert.throws(() => pipeline({ id: 'x', flowControl: { highWaterMark: 10, lowWaterMark: 10 } }), /lowWaterMark/);
  assert.throws(() => fixedDelayRestart({ attempts: -1, delay: 1 }), /attempts/);
});


test('uid(): adding an operator before a stateful one keeps its state; without a uid the state is left behind', async () => {
  await withTempDir('uid', async (dir) => {
    await writeFile(join(dir, 'more.txt'), 'a\n');
    for (const stable of [true, false]) {
      const store = memoryStore();
      const id = `uid-${stable}`;
      const counter = () => (stable ? uid('counts', count<string, string>()) : count<string, string>());
      const sink = memorySink<string>();
      await pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 1000, store } })
        .from(collectionSource(['a', 'a', 'b']))
        .pipe(keyBy((w: string) => w), counter(), map(({ key, value }) => `${key}=${value}`))
        .to(sink)
        .run();
      // The changed job reads another source (with its own position) and has one more operator in front of the count.
      await pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 1000, store }, logger: quiet })
        .from(fileSource({ path: join(dir, 'more.txt') }))
        .pipe(map((w: string) => w.trim()), keyBy((w: string) => w), counter(), map(({ key, value }) => `${key}=${value}`))
        .to(sink)
        .run();
      assert.equal(sink.committed, ['a=1', 'a=2', 'b=1', stable ? 'a=3' : 'a=1'], stable ? 'state kept under its uid' : 'state orphaned without a uid');
    }
  });
  assert.throws(() => uid('bad id', count()), (e: unknown) => e instanceof ConfigurationError && /uid must be/.test(String(e)));
});

test('stop() resolves only once the pre-commit in progress has settled, so a job started next cannot race it', async () => {
  let preparing = false;
  let settled = false;
  const slow: Sink<number, 'exactly-once', 'exactly-once', false, number, undefined> = {
    name: 'slow-precommit',
    guarantee: 'exactly-once',
    requires: 'exactly-once',
    deterministicOnly: false,
    kind: 'committing',
    createWriter: () => ({
      write() {},
      async prepareCommit(checkpointId: number) {
        preparing = true;
        // Like the rolling sink renaming a part: work a restore must not overlap.
        await new Promise((resolve) => setTimeout(resolve, 80));
        settled = true;
        return [checkpointId];
      },
      close() {},
    }),
    createCommitter: () => ({ async commit() {} }),
  };
  const handle = pipeline({ id: 'quiesce', guarantee: 'exactly-once', checkpoints: { interval: 5, store: memoryStore() }, logger: quiet })
    .from(collectionSource(range(1_000_000), { chunkSize: 10 }))
    .to(slow)
    .start();
  while (!preparing) await new Promise((resolve) => setTimeout(resolve, 1));
  await handle.stop();
  assert.ok(settled, 'the pre-commit had settled when stop() resolved');
});

test('a source whose records fan out downstream still lets checkpoints in: a turn of the event loop is bounded by time', async () => {
  const sink = memorySink<number>();
  const handle = pipeline({ id: 'fan-out', guarantee: 'exactly-once', checkpoints: { interval: 1, store: memoryStore() }, logger: quiet })
    // 300 source records, each 3000 downstream: a turn of 1024 fetches would be every record at once.
    .from(collectionSource(range(300), { chunkSize: 1 }))
    .pipe(flatMap((block: number) => range(3000).map((i) => block * 3000 + i)))
    .to(sink)
    .start();
  let midway = 0;
  handle.events.subscribe((e) => void (e.type === 'checkpoint-completed' && !e.final && midway++));
  await handle.done;
  assert.is(sink.committed.length, 900_000);
  assert.ok(midway >= 2, `checkpoints completed while records flowed: ${midway}`);
});

test('a fetch of more records than the source task emits between two looks at the clock is emitted whole', async () => {
  const sink = memorySink<number>();
  // One batch of 5000: the task emits 1024 at a time, and must go on with the rest of the batch in the same turn or the next.
  const handle = pipeline({ id: 'large-batch', guarantee: 'exactly-once', checkpoints: { interval: 1000, store: memoryStore() }, logger: quiet })
    .from(collectionSource(range(5000), { chunkSize: 5000 }))
    .to(sink)
    .start();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), 10_000)));
  const outcome = await Promise.race([handle.done.then(() => 'done' as const), stalled]);
  clearTimeout(timer);
  if (outcome === 'stalled') await handle.stop();
  assert.is(outcome, 'done', `the job stalled after ${sink.committed.length} of 5000 records`);
  assert.equal(sink.committed, range(5000));
});

test.run();
