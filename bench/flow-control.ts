/**
 * Figure 4: peak RSS of a job whose sink is 10x slower than its source, at
 * 5M records against 1M. Each size runs in its own process (clean heap, its
 * own peak); the input is held as one entry per 1000 records (see
 * blockStarts), so what grows, if anything, is what the pipeline holds.
 */
import { fileURLToPath } from 'node:url';
import { map, pipeline } from 'onceflow';
import type { Sink } from 'onceflow';
import type { BenchOptions, Figure } from './measure.js';
import { blockStarts, expandBlocks, median, peakRss, runChild, runIfMain, summingSink, timed } from './measure.js';

interface ChildInput {
  readonly records: number;
  /** Records/s the sink may take. */
  readonly sinkRate: number;
}

interface ChildResult {
  readonly peakRss: number;
  /** Heap still in use after a full GC at the end: what the job kept, as opposed to how far V8 let the heap grow. */
  readonly retainedHeap: number;
  readonly seconds: number;
}

/**
 * Takes records at `recordsPerSecond` on average: every 1000 records it waits
 * until the schedule catches up, and the records behind it queue in the
 * runtime, which is what flow control has to bound.
 */
function pacedSink(recordsPerSecond: number): Sink<number, 'at-least-once'> {
  return {
    name: 'paced',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    createWriter: () => {
      let written = 0;
      let start = 0;
      return {
        write() {
          if (written++ === 0) start = performance.now();
          if (written % 1000 !== 0) return;
          const wait = start + (written / recordsPerSecond) * 1000 - performance.now();
          if (wait > 0) return new Promise<void>((resolve) => setTimeout(resolve, wait));
        },
        prepareCommit: () => [],
        close() {},
      };
    },
  };
}

function job(records: number, sink: Sink<number, 'at-least-once'>) {
  return pipeline({ id: 'bench-flow-control' })
    .from(blockStarts(records))
    .pipe(
      expandBlocks,
      map((x: number) => x + 1),
    )
    .to(sink);
}

async function child({ records, sinkRate }: ChildInput): Promise<ChildResult> {
  const seconds = await timed(() => job(records, pacedSink(sinkRate)).run());
  const peak = peakRss();
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  return { peakRss: peak, retainedHeap: process.memoryUsage().heapUsed, seconds };
}

export async function flowControl({ full }: BenchOptions): Promise<Figure[]> {
  const small = 1_000_000;
  const large = full ? 20_000_000 : 5_000_000;
  // The source's own pace, into a sink that takes everything at once.
  const sourceSeconds: number[] = [];
  for (let i = 0; i < 3; i++) sourceSeconds.push(await timed(() => job(small, summingSink({ sum: 0 })).run()));
  const sourceRate = small / Math.min(...sourceSeconds);
  const sinkRate = sourceRate / 10;
  const script = fileURLToPath(import.meta.url);
  const runs = { [small]: [] as ChildResult[], [large]: [] as ChildResult[] };
  for (let i = 0; i < 3; i++) {
    for (const records of [small, large]) runs[records]?.push(await runChild<ChildResult>(script, { role: 'child', records, sinkRate }, ['--expose-gc']));
  }
  const peak = (records: number): number => median((runs[records] ?? []).map((r) => r.peakRss));
  const measured = peak(large);
  const baseline = peak(small);
  return [
    {
      figure: `4. peak RSS, sink 10x slower than source, ${large / 1e6}M vs ${small / 1e6}M records`,
      unit: 'bytes',
      measured,
      baseline,
      ratio: measured / baseline,
      target: { op: '<=', value: 1.2 },
      details: {
        sourceRecordsPerSecond: sourceRate,
        sinkRecordsPerSecond: sinkRate,
        achievedRecordsPerSecond: { [small]: runs[small]?.map((r) => small / r.seconds), [large]: runs[large]?.map((r) => large / r.seconds) },
        peakRss: { [small]: runs[small]?.map((r) => r.peakRss), [large]: runs[large]?.map((r) => r.peakRss) },
        retainedHeap: { [small]: runs[small]?.map((r) => r.retainedHeap), [large]: runs[large]?.map((r) => r.retainedHeap) },
      },
    },
  ];
}

runIfMain(import.meta.url, (input: BenchOptions | ({ role: 'child' } & ChildInput)): Promise<Figure[] | ChildResult> => ('role' in input ? child(input) : flowControl(input)));
