import { AssertionError, deepStrictEqual, ok } from 'node:assert';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Sink } from '../contracts/sink.js';
import type { Source, SourceSplit } from '../contracts/source.js';
import type { Logger } from '../contracts/logger.js';
import { pipeline } from '../dsl/pipeline.js';
import type { JobHandle } from '../runtime/job-runner.js';
import { staticSplitEnumerator } from '../connectors/shared/enumerators.js';
import { memoryStore } from '../snapshot/memory-store.js';
import { map } from '../operators/map.js';
import { collectingSink } from './collecting-sink.js';
import { memorySink } from './memory-sink.js';
import { startSource } from './source-harness.js';
import type { RunningSource } from './source-harness.js';

/** One check of a connector, for any test runner: `for (const c of cases) test(c.name, c.run)`. */
export interface ConnectorTestCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/**
 * What a source under test needs from its test, as Flink's
 * `DataStreamSourceExternalContext`: a way to put lines into the external
 * system, split by split, and to build the source over it.
 */
export interface SourceTestContext<T> {
  /** Names the cases. */
  readonly name: string;
  /** Prepare a fresh, empty system for one case (a directory, a topic). */
  setUp?(): Promise<void>;
  /** Release what {@link setUp} made. */
  tearDown?(): Promise<void>;
  /** Put `lines` into a new split of the system (a new file, a new partition). Called before and while a source runs. */
  addSplit(lines: readonly string[]): Promise<void>;
  /** A new source reading every split added so far (and those added later, when it discovers splits). */
  createSource(): Source<T, Guarantee, Replay>;
  /** The line a record carries, to compare with what {@link addSplit} was given. */
  text(record: T): string;
  /** Whether the source finds splits added while it runs. */
  readonly discoversSplits: boolean;
  /** How many splits the system can have at most (a socket connection is one). Default: no limit. */
  readonly maxSplits?: number;
}

/** What a sink under test needs from its test. */
export interface SinkTestContext {
  /** Names the cases. */
  readonly name: string;
  /** Prepare a fresh, empty system for one case. */
  setUp?(): Promise<void>;
  /** Release what {@link setUp} made. */
  tearDown?(): Promise<void>;
  /** A new sink of lines into the system. */
  createSink(): Sink<string, Guarantee, Guarantee, boolean>;
  /** What a reader of the system sees now: committed files, acknowledged lines. */
  read(): Promise<string[]>;
}

/** Options of the kits. */
export interface ConnectorKitOptions {
  /** Records a split gets. Default 300. */
  readonly recordsPerSplit?: number;
  /** Times the kill-and-restart check stops a running job. Default 5. */
  readonly kills?: number;
  /** Where kill points come from; pass a seeded generator to replay a run. Default Math.random. */
  readonly random?: () => number;
  /** Longest wait for records in any one step, in ms. Default 20 000. */
  readonly timeout?: number;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function lines(split: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `s${split}-${i}`);
}

function splitOf(line: string): string {
  return line.slice(0, line.indexOf('-'));
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

/** Within each split, lines come in the order they were written. */
function assertSplitOrder(received: readonly string[], what: string): void {
  const last = new Map<string, number>();
  for (const line of received) {
    const index = Number(line.slice(line.indexOf('-') + 1));
    const previous = last.get(splitOf(line)) ?? -1;
    ok(index > previous, `${what}: ${line} came after ${splitOf(line)}-${previous}`);
    last.set(splitOf(line), index);
  }
}

async function waitFor(condition: () => boolean, timeout: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new AssertionError({ message: `timed out after ${timeout} ms waiting for ${what()}` });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function withSystem<C extends { setUp?(): Promise<void>; tearDown?(): Promise<void> }>(context: C, body: () => Promise<void>): Promise<void> {
  await context.setUp?.();
  try {
    await body();
  } finally {
    await context.tearDown?.();
  }
}

/**
 * The checks every source passes, as Flink's `SourceTestSuiteBase`: reading
 * every split, restoring from a stored position, barriers between records,
 * pausing one split, discovering splits while running (when the source says
 * it does), and kill-and-restart against the guarantee the source declares
 * (exactly-once: nothing lost, nothing twice; at-least-once: nothing lost;
 * at-most-once: nothing twice).
 */
export function sourceTestCases<T>(context: SourceTestContext<T>, options: ConnectorKitOptions = {}): ConnectorTestCase[] {
  const perSplit = options.recordsPerSplit ?? 300;
  const timeout = options.timeout ?? 20_000;
  const random = options.random ?? Math.random;
  const splitCount = Math.min(3, context.maxSplits ?? 3);
  const texts = (records: readonly T[]): string[] => records.map((r) => context.text(r));
  const guarantee = (): Guarantee => context.createSource().guarantee;
  const exactlyOnce = (): boolean => guarantee() === 'exactly-once';

  async function addSplits(): Promise<string[]> {
    const all: string[] = [];
    for (let s = 0; s < splitCount; s++) {
      const split = lines(s, perSplit);
      await context.addSplit(split);
      all.push(...split);
    }
    return all;
  }

  /** Run until `count` records arrived (an unbounded source never ends by itself), then close. */
  async function collect(running: RunningSource<T>, count: number): Promise<string[]> {
    const failed = running.ended.then((end) => (end === 'completed' ? undefined : end));
    await waitFor(() => running.records.length >= count, timeout, () => `${count} records, got ${running.records.length}`).finally(() => running.close());
    const error = await Promise.race([failed, new Promise((resolve) => setTimeout(resolve, 0))]);
    if (error !== undefined) throw error;
    return texts(running.records);
  }

  const cases: ConnectorTestCase[] = [
    {
      name: `${context.name}: reads every record of every split, in order within each split`,
      run: () =>
        withSystem(context, async () => {
          const expected = await addSplits();
          const received = await collect(startSource(context.createSource()), expected.length);
          deepStrictEqual(sorted(received), sorted(expected));
          assertSplitOrder(received, 'reading');
        }),
    },
    {
      name: `${context.name}: restores from a stored position and goes on from there`,
      run: () =>
        withSystem(context, async () => {
          const expected = await addSplits();
          const cut = Math.floor(expected.length / 3);
          let stored: ReturnType<RunningSource<T>['checkpoint']> | undefined;
          let before = 0;
          const first = startSource(context.createSource(), {
            onRecord: (_record, running) => {
              if (running.records.length !== cut) return;
              stored = running.checkpoint();
              before = running.records.length;
            },
          });
          await waitFor(() => stored !== undefined, timeout, () => `record ${cut}`);
          await first.close();
          const head = texts(first.records).slice(0, before);
          const second = startSource(context.createSource(), { ...(stored ? { restored: stored } : {}) });
          if (exactlyOnce()) {
            const rest = await collect(second, expected.length - before);
            deepStrictEqual(sorted([...head, ...rest]), sorted(expected), 'the records before the checkpoint and after the restore are every record once');
          } else {
            // A source that cannot rewind loses what came while it was down, but never repeats a record.
            await new Promise((resolve) => setTimeout(resolve, 200));
            await second.close();
            deepStrictEqual(duplicates([...head, ...texts(second.records)]), [], 'no record twice');
          }
        }),
    },
    {
      name: `${context.name}: a barrier can fall between any two records, and each records where the split is`,
      run: () =>
        withSystem(context, async () => {
          const expected = await addSplits();
          const checkpoints: ReturnType<RunningSource<T>['checkpoint']>[] = [];
          const running = startSource(context.createSource(), { onRecord: (_r, r) => void checkpoints.push(r.checkpoint()) });
          const received = await collect(running, expected.length);
          const distinct = new Set(checkpoints.map((c) => JSON.stringify(c.splits)));
          ok(distinct.size >= Math.min(received.length, checkpoints.length) - splitCount, 'every record moves a position');
          if (!exactlyOnce()) return;
          for (const at of [0, Math.floor(received.length / 2), received.length - 2]) {
            const checkpoint = checkpoints[at];
            if (!checkpoint) continue;
            const rest = await collect(startSource(context.createSource(), { restored: checkpoint }), expected.length - at - 1);
            deepStrictEqual(sorted(rest), sorted(received.slice(at + 1)), `restored after record ${at}`);
          }
        }),
    },
    {
      name: `${context.name}: a paused split emits nothing until resumed, then goes on where it stopped`,
      run: () =>
        withSystem(context, async () => {
          const expected = await addSplits();
          let paused: { readonly splitId: string; readonly lines: string } | undefined;
          let countAtPause = 0;
          const running = startSource(context.createSource(), {
            onRecord: (record, r, splitId) => {
              if (paused !== undefined || r.records.length < 5) return;
              paused = { splitId, lines: splitOf(context.text(record)) };
              r.pauseSplits([splitId]);
              countAtPause = r.records.length;
            },
          });
          await waitFor(() => paused !== undefined, timeout, () => 'a split to pause');
          const { splitId, lines: pausedLines } = paused as { splitId: string; lines: string };
          await new Promise((resolve) => setTimeout(resolve, 100));
          const during = texts(running.records.slice(countAtPause));
          ok(
            during.every((line) => splitOf(line) !== pausedLines),
            `records of the paused split ${splitId} arrived while it was paused: ${during.filter((l) => splitOf(l) === pausedLines).slice(0, 3).join(', ')}`,
          );
          running.resumeSplits([splitId]);
          const received = await collect(running, expected.length);
          deepStrictEqual(sorted(received), sorted(expected));
          assertSplitOrder(received, 'after resume');
        }),
    },
    {
      name: `${context.name}: kill and restart keeps the guarantee the source declares (exactly-once: nothing lost or twice; at-least-once: nothing lost; at-most-once: nothing twice)`,
      run: () => withSystem(context, () => killAndRestart(context, splitCount, perSplit, options.kills ?? 5, random, timeout)),
    },
  ];
  if (context.discoversSplits) {
    cases.push({
      name: `${context.name}: finds a split added while it runs`,
      run: () =>
        withSystem(context, async () => {
          const first = lines(0, perSplit);
          await context.addSplit(first);
          const running = startSource(context.createSource());
          await waitFor(() => running.records.length >= first.length, timeout, () => `the first split's ${first.length} records`);
          const later = lines(1, perSplit);
          await context.addSplit(later);
          const received = await collect(running, first.length + later.length);
          deepStrictEqual(sorted(received), sorted([...first, ...later]));
        }),
    });
  }
  return cases;
}

/**
 * The lines, 10 a millisecond, exactly-once: slow enough that a kill lands
 * while a job runs, whatever the sink's speed.
 */
function pacedSource(input: readonly string[]): Source<string, 'exactly-once', 'deterministic', SourceSplit, number> {
  const split: SourceSplit = { splitId: 'lines' };
  return {
    name: 'paced-lines',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => [split]),
    createReader: () => {
      let next: number | undefined;
      return {
        addSplits: (assignments) => assignments.forEach((a) => (next = a.position ?? 0)),
        async fetch() {
          const start = next;
          if (start === undefined) return { batches: [], finished: [] };
          await new Promise((resolve) => setTimeout(resolve, 1));
          const end = Math.min(input.length, start + 10);
          next = end;
          return {
            batches: end > start ? [{ splitId: split.splitId, records: input.slice(start, end), positionAfter: (i: number) => start + i + 1 }] : [],
            finished: end === input.length ? [split.splitId] : [],
          };
        },
        wakeUp() {},
        close() {},
      };
    },
  };
}

async function killAndRestart<T>(context: SourceTestContext<T>, splitCount: number, perSplit: number, kills: number, random: () => number, timeout: number): Promise<void> {
  const expected: string[] = [];
  for (let s = 0; s < splitCount; s++) {
    const split = lines(s, perSplit);
    await context.addSplit(split);
    expected.push(...split);
  }
  const store = memoryStore();
  const guarantee = context.createSource().guarantee;
  const exactly = memorySink<string>();
  const collected = collectingSink<string>();
  const written = collected.written;
  const seen = (): string[] => (guarantee === 'exactly-once' ? exactly.committed : written);
  const start = (): JobHandle => {
    // The kit checks at run time what the types check for a literal guarantee: the source is only known as a Source here.
    const source = context.createSource() as Source<T, 'exactly-once', 'deterministic'>;
    const stream = pipeline({ id: 'connector-kit', checkpoints: { interval: 5, store }, logger: silent, signals: false })
      .from(source)
      .pipe(map((record: T) => context.text(record)));
    return guarantee === 'exactly-once' ? stream.to(exactly).start() : stream.to(collected).start();
  };
  for (let kill = 0; kill < kills; kill++) {
    const handle = start();
    if (guarantee === 'at-most-once') {
      // What a source that cannot rewind loses is not known in advance: kill by time, not by a record count.
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(random() * 40)));
    } else {
      const target = Math.floor(((kill + random()) / (kills + 1)) * expected.length);
      await waitFor(() => new Set(seen()).size >= target, timeout, () => `${target} records before kill ${kill + 1}, saw ${seen().length}`).catch(async (error: unknown) => {
        await handle.stop();
        throw error;
      });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 10)));
    }
    // stop() ends the attempt at once, without a final checkpoint: what a crash leaves behind.
    await handle.stop();
  }
  const last = start();
  if (guarantee === 'at-most-once') {
    await new Promise((resolve) => setTimeout(resolve, 300));
  } else {
    await waitFor(() => new Set(seen()).size >= expected.length, timeout, () => `every record after ${kills} kills, saw ${new Set(seen()).size} of ${expected.length}`).catch(
      async (error: unknown) => {
        await last.stop();
        throw error;
      },
    );
  }
  await last.drain();
  const received = seen();
  if (guarantee === 'exactly-once') deepStrictEqual(sorted(received), sorted(expected), 'exactly-once: every record once');
  else if (guarantee === 'at-least-once') deepStrictEqual(sorted([...new Set(received)]), sorted(expected), 'at-least-once: every record at least once');
  else deepStrictEqual(duplicates(received), [], 'at-most-once: no record twice');
}

/**
 * The checks every sink passes: it writes every record, and kill-and-restart
 * keeps the guarantee it declares (exactly-once: the system holds every record
 * once; at-least-once: every record, perhaps more than once).
 */
export function sinkTestCases(context: SinkTestContext, options: ConnectorKitOptions = {}): ConnectorTestCase[] {
  const count = (options.recordsPerSplit ?? 300) * 3;
  const timeout = options.timeout ?? 20_000;
  const random = options.random ?? Math.random;
  const input = lines(0, count);
  const check = (received: readonly string[], guarantee: Guarantee, what: string): void => {
    if (guarantee === 'exactly-once') deepStrictEqual(sorted(received), sorted(input), `${what}: every record once`);
    else deepStrictEqual(sorted([...new Set(received)]), sorted(input), `${what}: every record at least once`);
  };
  const job = (store = memoryStore()) =>
    pipeline({ id: 'connector-kit', checkpoints: { interval: 5, store }, logger: silent, signals: false })
      .from(pacedSource(input))
      .to(context.createSink() as Sink<string, Guarantee, 'exactly-once', boolean>);
  return [
    {
      name: `${context.name}: writes every record`,
      run: () =>
        withSystem(context, async () => {
          const sink = context.createSink();
          await job().run();
          check(await context.read(), sink.guarantee, 'one run');
        }),
    },
    {
      name: `${context.name}: kill and restart keeps the sink's guarantee`,
      run: () =>
        withSystem(context, async () => {
          const { guarantee } = context.createSink();
          const store = memoryStore();
          const kills = options.kills ?? 5;
          let landed = 0;
          for (let kill = 0; kill < kills; kill++) {
            const handle = job(store).start();
            // Stop at a random moment: a checkpoint or two in, or in the middle of one.
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(random() * 60)));
            if ((await handle.stop()).outcome === 'stopped') landed++;
          }
          ok(landed > 0, 'at least one kill landed while a job was running');
          const last = job(store).start();
          // The deadline is cleared once the run is done: left pending, it would keep the test process alive for `timeout` ms.
          let deadline: NodeJS.Timeout | undefined;
          const result = await Promise.race([
            last.done,
            new Promise((_, reject) => (deadline = setTimeout(() => reject(new Error(`the last run did not finish within ${timeout} ms`)), timeout))),
          ]).finally(() => clearTimeout(deadline));
          ok(result, 'the last run finished');
          check(await context.read(), guarantee, `after ${kills} kills`);
        }),
    },
  ];
}

