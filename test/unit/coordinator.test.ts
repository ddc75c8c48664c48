import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, JobFailedError, memoryStore, pipeline } from 'onceflow';
import type { CommitRequest, JobEvent, Sink, SnapshotStore } from 'onceflow';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A two-phase-commit sink whose pre-commit of chosen checkpoints takes `stall` ms. */
function stallingSink(stallAt: Set<number>, stall: number) {
  const commits: { checkpointId: number; ids: number[] }[] = [];
  const sink: Sink<number, 'exactly-once', 'exactly-once', false, number, undefined> = {
    name: 'stalling',
    guarantee: 'exactly-once',
    requires: 'exactly-once',
    deterministicOnly: false,
    kind: 'committing',
    createWriter: () => ({
      write() {},
      async prepareCommit(checkpointId: number) {
        if (stallAt.has(checkpointId)) await new Promise((resolve) => setTimeout(resolve, stall));
        return [checkpointId];
      },
      close() {},
    }),
    createCommitter: () => ({
      async commit(requests: readonly CommitRequest<number>[]) {
        commits.push({ checkpointId: requests[0]?.checkpointId ?? -1, ids: requests.map((r) => r.committable) });
      },
    }),
  };
  return { sink, commits };
}

test('a checkpoint that times out is discarded, the job goes on, and what it prepared is committed with the next one', async () => {
  // Wide margins: under load an ordinary checkpoint must not reach the timeout, and checkpoint 3,
  // queued behind 2's stalled pre-commit, must still complete (the stall ends before 3 times out).
  const { sink, commits } = stallingSink(new Set([2]), 300);
  const job = pipeline({ id: 'timeout', checkpoints: { interval: 5, timeout: 200, store: memoryStore() }, logger: quiet })
    .from(collectionSource(Array.from({ length: 300_000 }, (_, i) => i), { chunkSize: 50 }))
    .to(sink);
  const handle = job.start();
  const events: JobEvent[] = [];
  handle.events.subscribe((e) => events.push(e));
  const result = await handle.done;
  assert.is(result.outcome, 'finished');
  const failed = events.filter((e) => e.type === 'checkpoint-failed');
  assert.is(failed.length, 1);
  assert.ok(failed[0]?.type === 'checkpoint-failed' && /timed out after 200 ms waiting for sink-stalling/.test(failed[0].error.message));
  // Every checkpoint's prepared id is committed exactly once; 2's travels with the next completed one.
  const committedIds = commits.flatMap((c) => c.ids);
  assert.equal(committedIds, [...new Set(committedIds)].sort((a, b) => a - b));
  assert.ok(committedIds.includes(2));
  assert.ok(commits.some((c) => c.checkpointId > 2 && c.ids.includes(2)));
});

test('more consecutive discarded checkpoints than tolerated fail the job', async () => {
  const { sink } = stallingSink(new Set([1, 2, 3, 4, 5]), 50);
  const job = pipeline({ id: 'intolerable', checkpoints: { interval: 1, timeout: 10, tolerableFailures: 1, store: memoryStore() }, logger: quiet })
    .from(collectionSource(Array.from({ length: 1_000_000 }, (_, i) => i), { chunkSize: 10 }))
    .to(sink);
  const error = await job.run().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, JobFailedError);
  assert.match((error as Error).message, /timed out/);
});

test('checkpoints honour the minimum pause between them', async () => {
  const { sink } = stallingSink(new Set(), 0);
  // A long input, stopped after three checkpoints: the test does not depend on how fast the machine is.
  const job = pipeline({ id: 'pause', checkpoints: { interval: 1, minPause: 40, store: memoryStore() } })
    .from(collectionSource(Array.from({ length: 5_000_000 }, (_, i) => i), { chunkSize: 20 }))
    .to(sink);
  const handle = job.start();
  const completedAt: number[] = [];
  handle.events.subscribe((e) => {
    if (e.type !== 'checkpoint-completed') return;
    completedAt.push(performance.now());
    if (completedAt.length === 3) void handle.stop();
  });
  const result = await handle.done;
  assert.is(result.outcome, 'stopped', 'stopped after three checkpoints, before the input ran out');
  for (let i = 1; i < completedAt.length; i++) assert.ok(completedAt[i]! - completedAt[i - 1]! >= 38, `gap ${completedAt[i]! - completedAt[i - 1]!} ms`);
});

/** A store whose saves take `ms`: a checkpoint slower than its interval. */
function slowStore(ms: number): SnapshotStore {
  const inner = memoryStore();
  return {
    ...inner,
    async save(checkpoint) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return inner.save(checkpoint);
    },
  };
}

/** Checkpoints of a job whose store takes `saveMs` to save, at `interval`: when each was triggered and completed, and how long it took. */
async function pausesBetweenCheckpoints(interval: number, saveMs: number): Promise<{ gap: number; duration: number }[]> {
  const { sink } = stallingSink(new Set(), 0);
  // A fetch a record (a microtask or more each): 5M of them outlast three checkpoints of up to 330 ms, and
  // nothing queues between the source and the sink to hold the barriers back and lengthen the checkpoints.
  const job = pipeline({ id: 'default-pause', checkpoints: { interval, store: slowStore(saveMs) }, logger: quiet })
    .from(collectionSource(Array.from({ length: 5_000_000 }, (_, i) => i), { chunkSize: 1 }))
    .to(sink);
  const handle = job.start();
  const completed: { at: number; duration: number }[] = [];
  const triggeredAt: number[] = [];
  handle.events.subscribe((e) => {
    if (e.type === 'checkpoint-triggered' && !e.final) triggeredAt.push(performance.now());
    if (e.type !== 'checkpoint-completed') return;
    completed.push({ at: performance.now(), duration: e.durationMs });
    if (completed.length === 3) void handle.stop();
  });
  const result = await handle.done;
  assert.is(result.outcome, 'stopped');
  return completed.slice(0, -1).map((c, i) => ({ gap: triggeredAt[i + 1]! - c.at, duration: c.duration }));
}

test('without a minPause, a checkpoint slower than the interval is followed by a pause as long as it took, at most an interval', async () => {
  // A checkpoint a little shorter than the interval: the pause is its duration (timers and clocks round by a ms or two), not the interval's 20 ms left.
  for (const { gap, duration } of await pausesBetweenCheckpoints(100, 80)) {
    assert.ok(gap >= duration * 0.8, `pause ${gap.toFixed(1)} ms after a checkpoint of ${duration.toFixed(1)} ms`);
  }
  // A checkpoint far slower than the interval: the pause is the interval, not the checkpoint's 300 ms.
  for (const { gap, duration } of await pausesBetweenCheckpoints(30, 300)) {
    assert.ok(gap >= 30 * 0.8, `pause ${gap.toFixed(1)} ms after a checkpoint of ${duration.toFixed(1)} ms`);
    assert.ok(gap < duration * 0.6, `pause ${gap.toFixed(1)} ms after a checkpoint of ${duration.toFixed(1)} ms: capped at the 30 ms interval`);
  }
});

test('a job restored from a checkpoint takes its first checkpoint one interval in, not as it starts', async () => {
  const store = memoryStore();
  const input = Array.from({ length: 1_000_000 }, (_, i) => i);
  const run = async (interval: number, stopOn: JobEvent['type']) => {
    const { sink } = stallingSink(new Set(), 0);
    const handle = pipeline({ id: 'restart-first', checkpoints: { interval, store }, logger: quiet }).from(collectionSource(input, { chunkSize: 1 })).to(sink).start();
    const startedAt = performance.now();
    let firstAfter: number | undefined;
    handle.events.subscribe((e) => {
      if (e.type === 'checkpoint-triggered' && !e.final && firstAfter === undefined) firstAfter = performance.now() - startedAt;
      if (e.type !== stopOn) return;
      void handle.stop();
    });
    await handle.done;
    return firstAfter;
  };
  await run(20, 'checkpoint-completed');
  assert.ok((await store.latest('restart-first')).checkpoint, 'the first run left a checkpoint');
  const firstAfter = await run(150, 'checkpoint-triggered');
  assert.ok(firstAfter !== undefined && firstAfter >= 100, `first checkpoint ${firstAfter?.toFixed(1)} ms after the restart`);
});

test.run();
