/**
 * Figure 1: a stateless map/filter/map chain over numbers from a collection,
 * no checkpoints, against the same chain in plain RxJS. Both end in the same
 * work per record (a running sum), and the sums are compared so neither side
 * can skip work. (Figure 1b, what counting records costs, is counting-cost.ts.)
 * Figures 1c and 1d put onceflow against where the ceiling is: @most/core,
 * which fuses such chains, and a hand-written loop.
 */
import { filter as mostFilter, map as mostMap, newStream, runEffects, tap } from '@most/core';
import { currentTime, newDefaultScheduler } from '@most/scheduler';
import { from, filter as rxFilter, map as rxMap } from 'rxjs';
import { collectionSource, filter, map, pipeline } from 'onceflow';
import type { CheckpointOptions } from 'onceflow';
import type { BenchOptions, CheckpointTaken, Figure } from './measure.js';
import { interleaved, rateFigure, runIfMain, runJob, summingSink, timed } from './measure.js';

const double = (x: number): number => x * 2;
const notThird = (x: number): boolean => x % 3 !== 0;
const inc = (x: number): number => x + 1;

export function numbers(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

export function rxjsChain(input: readonly number[]): number {
  const into = { sum: 0 };
  from(input)
    .pipe(rxMap(double), rxFilter(notThird), rxMap(inc))
    .subscribe((x) => (into.sum += x));
  return into.sum;
}

/** The same chain in @most/core, from an array emitted synchronously as the stream is run. */
export async function mostChain(input: readonly number[]): Promise<number> {
  const into = { sum: 0 };
  const numbersStream = newStream<number>((sink, scheduler) => {
    const t = currentTime(scheduler);
    for (const x of input) sink.event(t, x);
    sink.end(t);
    return { dispose() {} };
  });
  const chain = mostMap(inc, mostFilter(notThird, mostMap(double, numbersStream)));
  await runEffects(
    tap((x: number) => (into.sum += x), chain),
    newDefaultScheduler(),
  );
  return into.sum;
}

/** The same work as a for-loop: the ceiling. */
export function loopChain(input: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < input.length; i++) {
    const doubled = double(input[i]!);
    if (notThird(doubled)) sum += inc(doubled);
  }
  return sum;
}

/** The same chain as an onceflow job from a collection source, with checkpoints when given. */
export async function onceflowChain(input: readonly number[], checkpoints?: CheckpointOptions): Promise<{ sum: number; checkpoints: CheckpointTaken[] }> {
  const into = { sum: 0 };
  const job = pipeline({ id: 'bench-chain', checkpoints })
    .from(collectionSource(input))
    .pipe(map(double), filter(notThird), map(inc))
    .to(summingSink(into));
  return { checkpoints: await runJob(job), sum: into.sum };
}

/** Fail loudly if two variants did different work. */
export function sameSum(a: number, b: number): void {
  if (a !== b) throw new Error(`variants disagree: sums ${a} and ${b}`);
}

export async function throughput({ full }: BenchOptions): Promise<Figure[]> {
  const records = full ? 30_000_000 : 10_000_000;
  const input = numbers(records);
  // The first run of each in a fresh process is kept apart: RxJS's is much faster than its own later, steady-state runs.
  let rxjsSum = 0;
  let onceflowSum = 0;
  const firstRun = {
    rxjs: await timed(() => (rxjsSum = rxjsChain(input))),
    onceflow: await timed(async () => (onceflowSum = (await onceflowChain(input)).sum)),
  };
  sameSum(rxjsSum, onceflowSum);
  const { a: rx, b: once } = await interleaved(5, () => rxjsChain(input), () => onceflowChain(input));
  sameSum(await mostChain(input), onceflowSum);
  sameSum(loopChain(input), onceflowSum);
  const { a: most, b: onceVsMost } = await interleaved(3, () => mostChain(input), () => onceflowChain(input));
  const { a: loop, b: onceVsLoop } = await interleaved(3, () => loopChain(input), () => onceflowChain(input));
  return [
    {
      figure: `1. map/filter/map, ${records / 1e6}M records, no checkpoints, vs plain RxJS`,
      ...rateFigure(records, once, rx),
      // Issue #13: fused stateless chains, at least twice plain RxJS.
      target: { op: '>=', value: 2.0 },
      details: { records, seconds: { onceflow: once, rxjs: rx }, firstRunSeconds: firstRun },
    },
    {
      figure: `1c. the same chain, onceflow vs @most/core (which fuses)`,
      ...rateFigure(records, onceVsMost, most),
      details: { records, seconds: { onceflow: onceVsMost, most } },
    },
    {
      figure: `1d. the same chain, onceflow vs a hand-written for-loop (the ceiling)`,
      ...rateFigure(records, onceVsLoop, loop),
      details: { records, seconds: { onceflow: onceVsLoop, loop } },
    },
  ];
}

runIfMain(import.meta.url, throughput);
