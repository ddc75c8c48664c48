/**
 * Figure 5: time from SIGKILL to the first record processed after restart.
 * A child process runs a keyed count over 10k, 100k and 1M keys with
 * checkpoints into a
 * filesystem store; after a few checkpoints the parent kills it and starts a
 * new child with the same job id and store, which restores the state and
 * resumes. Each child reports on stdout, one JSON line per event, with
 * wall-clock times comparable across the processes.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { count, fileStore, keyBy, pipeline } from 'onceflow';
import type { Keyed, Sink } from 'onceflow';
import type { BenchOptions, Figure } from './measure.js';
import { blockStarts, expandBlocks, median, runIfMain, wallClock } from './measure.js';

const checkpointsBeforeKill = 3;

type ChildEvent =
  | { readonly event: 'main'; readonly origin: number; readonly at: number }
  | { readonly event: 'restored'; readonly checkpointId: number; readonly at: number }
  | { readonly event: 'first-record'; readonly key: number; readonly count: number; readonly at: number }
  | { readonly event: 'checkpoint'; readonly checkpointId: number; readonly bytes: number; readonly at: number; readonly everyKey: boolean };

function say(event: ChildEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function firstRecordReporter(written: { count: number }): Sink<Keyed<number, number>, 'at-least-once'> {
  return {
    name: 'first-record',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    createWriter: () => {
      let first = true;
      return {
        write({ key, value }) {
          written.count++;
          if (!first) return;
          first = false;
          say({ event: 'first-record', key, count: value, at: wallClock() });
        },
        flush() {},
        close() {},
      };
    },
  };
}

/** Runs until killed. */
async function child({ directory, keys }: { directory: string; keys: number }): Promise<never> {
  say({ event: 'main', origin: performance.timeOrigin, at: wallClock() });
  const written = { count: 0 };
  // Checkpoints whose barrier came after this process had counted `keys` records: every key is in their state.
  const everyKey = new Set<number>();
  const handle = pipeline({ id: 'bench-recovery', checkpoints: { interval: 200, store: fileStore({ directory }) } })
    // Enough for every generation even when a loaded disk makes each fsync take seconds; a list of 1M block starts to build.
    .from(blockStarts(1e9))
    .pipe(
      expandBlocks,
      keyBy((x: number) => x % keys),
      count(),
    )
    .to(firstRecordReporter(written))
    .start();
  handle.events.subscribe((e) => {
    if (e.type === 'restored') say({ event: 'restored', checkpointId: e.checkpointId, at: wallClock() });
    // Synchronous, before the barrier is injected: the records written so far are ahead of it.
    if (e.type === 'checkpoint-triggered' && written.count >= keys) everyKey.add(e.checkpointId);
    if (e.type === 'checkpoint-completed') say({ event: 'checkpoint', checkpointId: e.checkpointId, bytes: e.bytes, at: wallClock(), everyKey: everyKey.has(e.checkpointId) });
  });
  await handle.done;
  throw new Error('the recovery job ended: it should run until killed');
}

/** A started child and the events it has reported so far. */
class Generation {
  readonly events: ChildEvent[] = [];
  readonly exited: Promise<void>;
  private waiting: { until: (events: ChildEvent[]) => boolean; resolve: () => void } | undefined;
  readonly process: ChildProcess;

  constructor(script: string, directory: string, keys: number) {
    this.process = spawn(process.execPath, [script, JSON.stringify({ role: 'child', directory, keys })], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.exited = new Promise((resolve) => this.process.on('exit', () => resolve()));
    if (!this.process.stdout) throw new Error('child has no stdout');
    createInterface({ input: this.process.stdout }).on('line', (line) => {
      this.events.push(JSON.parse(line) as ChildEvent);
      if (this.waiting?.until(this.events)) this.waiting.resolve();
    });
  }

  /** Resolves once the events so far satisfy `until`; rejects if the child dies first. */
  when(until: (events: ChildEvent[]) => boolean): Promise<void> {
    if (until(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting = { until, resolve };
      void this.exited.then(() => reject(new Error(`recovery child exited early: ${JSON.stringify(this.events.at(-1))}`)));
    });
  }

  find<E extends ChildEvent['event']>(event: E): Extract<ChildEvent, { event: E }> {
    const found = this.events.find((e) => e.event === event);
    if (!found) throw new Error(`recovery child did not report '${event}'`);
    return found as Extract<ChildEvent, { event: E }>;
  }

  lastCheckpoint(): Extract<ChildEvent, { event: 'checkpoint' }> | undefined {
    return this.events.filter((e): e is Extract<ChildEvent, { event: 'checkpoint' }> => e.event === 'checkpoint').at(-1);
  }
}

interface Recovery {
  /** SIGKILL to the first record the new process handled, ms. */
  readonly totalMs: number;
  /** SIGKILL until the parent saw the process gone. */
  readonly exitMs: number;
  /** Spawning the new process until Node started it (its performance.timeOrigin). */
  readonly spawnMs: number;
  /** Node's own start-up and loading the compiled benchmark, onceflow and RxJS. */
  readonly startupMs: number;
  /** Reading, checking and decoding the checkpoint (and the deltas it builds on) and rebuilding the keyed state. */
  readonly restoreMs: number;
  /** Restored until the first record reached the sink. */
  readonly firstRecordMs: number;
  readonly restoredCheckpoint: number;
  readonly snapshotBytes: number;
}

const checkpointsSince = (n: number) => (events: ChildEvent[]) => events.filter((e) => e.event === 'checkpoint').length >= n;
// The first kill waits for checkpoints holding every key: checkpoints of 1M keys now take ~60 ms, and three of
// them could complete before the first pass over the keys, so the restored state lacked the key counted next.
const fullCheckpoints = (n: number) => (events: ChildEvent[]) => events.filter((e) => e.event === 'checkpoint' && e.everyKey).length >= n;

export async function recovery({ full }: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  // 1M keys in the default run too: issue #13's recovery target is set there.
  for (const keys of [10_000, 100_000, 1_000_000]) figures.push(await recoveryAt(keys, full ? 10 : 3));
  return figures;
}

/** Figure 5 at `keys` keys of state, median of `kills` kills. */
export async function recoveryAt(keys: number, kills: number): Promise<Figure> {
  const script = fileURLToPath(import.meta.url);
  const directory = mkdtempSync(join(tmpdir(), 'onceflow-bench-'));
  const recoveries: Recovery[] = [];
  let current = new Generation(script, directory, keys);
  try {
    await current.when(fullCheckpoints(checkpointsBeforeKill));
    for (let i = 0; i < kills; i++) {
      const lastCompleted = current.lastCheckpoint();
      const killedAt = wallClock();
      current.process.kill('SIGKILL');
      await current.exited;
      const exitedAt = wallClock();
      const spawnedAt = wallClock();
      current = new Generation(script, directory, keys);
      await current.when((events) => events.some((e) => e.event === 'first-record'));
      const main = current.find('main');
      const restored = current.find('restored');
      const first = current.find('first-record');
      if (!lastCompleted || restored.checkpointId < lastCompleted.checkpointId) {
        throw new Error(`restored checkpoint ${restored.checkpointId}, but checkpoint ${lastCompleted?.checkpointId} had completed before the kill`);
      }
      if (first.count < 2) throw new Error(`first record after restore counts ${first.count} for key ${first.key}: state was not restored`);
      recoveries.push({
        totalMs: first.at - killedAt,
        exitMs: exitedAt - killedAt,
        spawnMs: main.origin - spawnedAt,
        startupMs: main.at - main.origin,
        restoreMs: restored.at - main.at,
        firstRecordMs: first.at - restored.at,
        restoredCheckpoint: restored.checkpointId,
        snapshotBytes: lastCompleted.bytes,
      });
      await current.when(checkpointsSince(checkpointsBeforeKill));
    }
  } finally {
    current.process.kill('SIGKILL');
    await current.exited;
    rmSync(directory, { recursive: true, force: true });
  }
  const part = (name: keyof Recovery): number => median(recoveries.map((r) => r[name]));
  return {
      figure: `5. recovery: SIGKILL to first record after restart, ${keys >= 1e6 ? `${keys / 1e6}M` : `${keys / 1000}k`} keys of state (median of ${kills})`,
      unit: 'ms',
      measured: part('totalMs'),
      // Issue #13: under 500 ms at 1M keys; the 1 s target of issue #5 for smaller state.
      target: { op: '<', value: keys >= 1e6 ? 500 : 1000 },
      details: {
        medianMs: {
          exit: part('exitMs'),
          spawn: part('spawnMs'),
          nodeStartupAndLoading: part('startupMs'),
          restore: part('restoreMs'),
          firstRecord: part('firstRecordMs'),
        },
        bestMs: Math.min(...recoveries.map((r) => r.totalMs)),
        worstMs: Math.max(...recoveries.map((r) => r.totalMs)),
        snapshotBytes: part('snapshotBytes'),
        recoveries,
      },
  };
}

runIfMain(import.meta.url, (input: BenchOptions | { role: 'child'; directory: string; keys: number }): Promise<Figure[]> =>
  'role' in input ? child(input) : recovery(input),
);
