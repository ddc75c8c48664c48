/**
 * Figure 1b: what counting records for metrics costs. Figure 1's chain on the
 * built library against a copy of it whose per-record counters are stripped
 * out (bench/run.ts makes it in bench/.build/uncounted). Each variant runs in
 * processes of its own, alternately: two copies of the library in one process
 * would share RxJS's Subscriber, whose call sites would then see both copies'
 * classes and slow down whichever runs second.
 */
import { fileURLToPath } from 'node:url';
import type { BenchOptions, Figure } from './measure.js';
import { rateFigure, runChild, runIfMain, summingSink, timed } from './measure.js';
import { numbers, sameSum } from './throughput.js';

type Variant = 'counted' | 'uncounted';

interface ChainRuns {
  readonly seconds: number[];
  readonly sum: number;
}

const double = (x: number): number => x * 2;
const notThird = (x: number): boolean => x % 3 !== 0;
const inc = (x: number): number => x + 1;

/** In a child: one warm-up run and `runs` timed runs of the chain on one variant of the library. */
async function chainRuns({ variant, records, runs }: { variant: Variant; records: number; runs: number }): Promise<ChainRuns> {
  const library = (await import(variant === 'counted' ? 'onceflow' : new URL('./uncounted/index.js', import.meta.url).href)) as typeof import('onceflow');
  const input = numbers(records);
  const into = { sum: 0 };
  const run = () =>
    library
      .pipeline({ id: 'bench-counting' })
      .from(library.collectionSource(input))
      .pipe(library.map(double), library.filter(notThird), library.map(inc))
      .to(summingSink(into))
      .run();
  await run();
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    into.sum = 0;
    seconds.push(await timed(run));
  }
  return { seconds, sum: into.sum };
}

export async function countingCost({ full }: BenchOptions): Promise<Figure[]> {
  const records = full ? 30_000_000 : 10_000_000;
  const rounds = full ? 12 : 8;
  const seconds: Record<Variant, number[]> = { counted: [], uncounted: [] };
  const sums: number[] = [];
  const script = fileURLToPath(import.meta.url);
  for (let round = 0; round < rounds; round++) {
    const order: Variant[] = round % 2 === 0 ? ['counted', 'uncounted'] : ['uncounted', 'counted'];
    for (const variant of order) {
      const result = await runChild<ChainRuns>(script, { child: { variant, records, runs: 3 } });
      seconds[variant].push(...result.seconds);
      sums.push(result.sum);
    }
  }
  for (const sum of sums) sameSum(sums[0] ?? 0, sum);
  return [
    {
      figure: `1b. map/filter/map, ${records / 1e6}M records: records counted for metrics vs the library with its counters stripped out`,
      ...rateFigure(records, seconds.counted, seconds.uncounted),
      target: { op: '>=', value: 0.95 },
      details: { records, processesPerVariant: rounds, seconds },
    },
  ];
}

runIfMain(import.meta.url, (input: BenchOptions & { child?: { variant: Variant; records: number; runs: number } }): Promise<Figure[] | ChainRuns> =>
  input.child ? chainRuns(input.child) : countingCost(input),
);
