// Restarts racing the failed attempt's checkpoint, and stores that answer late or never.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, fixedDelayRestart, JobFailedError, map, memoryStore, pipeline, StoreUnresponsiveError } from 'onceflow';
import type { Checkpoint, JobEvent, JobHandle, SnapshotStore } from 'onceflow';
import { memorySink } from 'onceflow/testing';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const records = 400_000;

/** How `committed` differs from 0..n-1 once each, in order: a short summary instead of a diff of 400k numbers. */
function differences(committed: readonly number[], n: number): { duplicates: number; missing: number; outOfOrder: number } {
  const seen = new Uint8Array(n);
  let duplicates = 0;
  let outOfOrder = 0;
  committed.forEach((x, i) => {
    if (seen[x]) duplicates++;
    seen[x] = 1;
    if (i > 0 && x !== committed[i - 1]! + 1) outOfOrder++;
  });
  return { duplicates, missing: seen.reduce((m, s) => m + (s ? 0 : 1), 0), outOfOrder };
}

/**
 * A memory store whose first save of checkpoint `slowId` takes `delayMs` (or never ends, for `Infinity`),
 * calling `onSlowSave` as it starts; every other save takes `otherDelayMs`.
 */
function slowStore(slowId: number, delayMs: number, onSlowSave: () => void, otherDelayMs = 0): SnapshotStore {
  const inner = memoryStore();
  let slowed = false;
  return {
    ...inner,
    async save(checkpoint: Checkpoint) {
      if (checkpoint.checkpointId === slowId && !slowed) {
        slowed = true;
        onSlowSave();
        if (delayMs === Infinity) return new Promise<number>(() => {});
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      } else if (otherDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, otherDelayMs));
      }
      return inner.save(checkpoint);
    },
  };
}

/** A job whose map throws once, on the first record after `failing.now` is set. */
function job(id: string, store: SnapshotStore, failing: { now: boolean }, sink: ReturnType<typeof memorySink<number>>, timeout = 60_000) {
  return pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 5, timeout, store }, restart: fixedDelayRestart({ attempts: 3, delay: 0 }), logger: quiet })
    .from(collectionSource(range(records), { chunkSize: 1 }))
    .pipe(
      map((x: number) => {
        if (!failing.now) return x;
        failing.now = false;
        throw new Error(`injected failure at ${x}`);
      }),
    )
    .to(sink);
}

test('a restart waits for the failed attempt\'s checkpoint save: its commit and the replay never overlap', async () => {
  const failing = { now: false };
  const sink = memorySink<number>();
  // The attempt fails while checkpoint 2 is being saved; the save lands 20 ms later, before the next
  // attempt (whose saves take 60 ms) completes a checkpoint of its own.
  const store = slowStore(2, 20, () => (failing.now = true), 60);
  const result = await job('race', store, failing, sink).run();
  assert.is(result.attempts, 2);
  assert.equal(differences(sink.committed, records), { duplicates: 0, missing: 0, outOfOrder: 0 });
});

test('a save that answers after the checkpoint timeout: the checkpoint is reported failed, the attempt stops, and the restart sees the late save', async () => {
  const failing = { now: false };
  const sink = memorySink<number>();
  // Lands 200 ms after the checkpoint timeout of 500 ms, and 300 ms before the job would give up on the store.
  const store = slowStore(3, 700, () => {});
  const handle = job('late-save', store, failing, sink, 500).start();
  const events: JobEvent[] = [];
  handle.events.subscribe((e) => events.push(e));
  const result = await handle.done;
  const failed = events.find((e) => e.type === 'checkpoint-failed' && e.checkpointId === 3);
  assert.ok(failed?.type === 'checkpoint-failed', 'checkpoint 3 reported failed');
  assert.match(failed.error.message, /timed out after 500 ms saving it/);
  assert.ok(events.some((e) => e.type === 'restored' && e.checkpointId === 3), 'the next attempt restored the save that landed late');
  assert.is(result.attempts, 2);
  assert.equal(differences(sink.committed, records), { duplicates: 0, missing: 0, outOfOrder: 0 });
});

/** What a started job ended with (its error, or 'finished'), or 'still running after 5 s'; and its events. */
async function howItEnds(handle: JobHandle): Promise<{ error: unknown; events: JobEvent[] }> {
  const events: JobEvent[] = [];
  handle.events.subscribe((e) => events.push(e));
  let watchdog: NodeJS.Timeout | undefined;
  const hang = new Promise((resolve) => (watchdog = setTimeout(() => resolve('still running after 5 s'), 5_000)));
  const error = await Promise.race([handle.done.then(() => 'finished', (e: unknown) => e), hang]);
  clearTimeout(watchdog);
  return { error, events };
}

test('a save that never answers: checkpoint-failed, then the job fails naming the store instead of hanging', async () => {
  const failing = { now: false };
  const sink = memorySink<number>();
  const { error, events } = await howItEnds(job('hung-save', slowStore(2, Infinity, () => {}), failing, sink, 150).start());
  assert.instance(error, JobFailedError, String(error));
  assert.instance((error as JobFailedError).cause, StoreUnresponsiveError);
  assert.match((error as Error).message, /snapshot store has not finished saving a checkpoint of job 'hung-save'/);
  assert.ok(events.some((e) => e.type === 'checkpoint-failed' && e.checkpointId === 2));
  assert.is((error as JobFailedError).attempts, 1, 'no restart against a store of unknown content');
});

test('a commit that never answers: checkpoint-failed naming the committer, then the job fails instead of hanging', async () => {
  const sink = memorySink<number>();
  const hanging: typeof sink = {
    ...sink,
    createCommitter: () => {
      const committer = sink.createCommitter();
      return {
        commit: (requests: Parameters<typeof committer.commit>[0]) =>
          requests[0]?.checkpointId === 2 ? new Promise<void>(() => {}) : committer.commit(requests),
      };
    },
  };
  const { error, events } = await howItEnds(job('hung-commit', memoryStore(), { now: false }, hanging, 150).start());
  assert.instance(error, JobFailedError, String(error));
  assert.instance((error as JobFailedError).cause, StoreUnresponsiveError);
  const failed = events.find((e) => e.type === 'checkpoint-failed' && e.checkpointId === 2);
  assert.ok(failed?.type === 'checkpoint-failed');
  assert.match(failed.error.message, /timed out after 150 ms committing it \(the sink's committer did not answer\)/);
});

test.run();
