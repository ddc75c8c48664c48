/**
 * What every benchmark shares: statistics, timing, peak memory, the child
 * processes each benchmark runs in, and the small sources and sinks the
 * benchmarks feed. Every figure comes from a clock or from the kernel.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collectionSource, flatMap } from 'onceflow';
import type { Guarantee, Job, Sink, Source } from 'onceflow';

/** One row of the table: a figure measured against its baseline in the same run. */
export interface Figure {
  readonly figure: string;
  readonly unit: string;
  readonly measured: number;
  /** What `measured` is compared with; absent for figures held to an absolute target. */
  readonly baseline?: number;
  /** measured / baseline. */
  readonly ratio?: number;
  /** For rates: the ratio of the median runs, beside `ratio` (of the fastest), to show how far noise moves it. */
  readonly medianRatio?: number;
  /** `>= 0.9`, `<= 1.2`, `< 1000` (on ratio when there is a baseline, else on measured); absent: reported only. */
  readonly target?: { readonly op: '>=' | '<=' | '<'; readonly value: number };
  /** The samples, notes and breakdowns behind the row, kept in the JSON. */
  readonly details?: Record<string, unknown>;
}

/** What the runner passes every benchmark. */
export interface BenchOptions {
  /** Larger sizes (`npm run bench -- --full`). */
  readonly full: boolean;
}

/** Nearest-rank median. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Nearest-rank percentile. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Wall-clock ms with sub-ms resolution, comparable between processes of this machine. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Seconds `work` took. */
export async function timed(work: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Time two variants of the same work alternately (A B A B ...) after one
 * warm-up run of each, so load from other processes on the machine falls on
 * both alike; returns the seconds of each measured run.
 */
export async function interleaved(runs: number, a: () => unknown, b: () => unknown): Promise<{ a: number[]; b: number[] }> {
  await a();
  await b();
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < runs; i++) {
    out.a.push(await timed(a));
    out.b.push(await timed(b));
  }
  return out;
}

/**
 * A records/s figure from the run times of both variants. Rates are those of
 * the fastest run of each: on a machine shared with other work, interference
 * only ever slows a run down, so the fastest is the closest to what the code
 * itself costs; the JSON keeps every run's time and the ratio of the medians.
 */
export function rateFigure(records: number, measured: readonly number[], baseline: readonly number[]): Pick<Figure, 'unit' | 'measured' | 'baseline' | 'ratio' | 'medianRatio'> {
  return {
    unit: 'records/s',
    measured: records / Math.min(...measured),
    baseline: records / Math.min(...baseline),
    ratio: Math.min(...baseline) / Math.min(...measured),
    medianRatio: median(baseline) / median(measured),
  };
}

/** This process's peak resident set in bytes: VmHWM on Linux, else what getrusage reports. */
export function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm?.[1]) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: fall through to getrusage.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Run `script` (a compiled benchmark file) in a fresh Node process, so it has
 * a clean heap and its own peak RSS, and return the JSON it prints last.
 */
export function runChild<R>(script: string, input: unknown, nodeOptions: readonly string[] = []): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, script, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const last = out.trim().split('\n').at(-1);
      if (code !== 0 || !last) reject(new Error(`${script} exited with ${code ?? signal}`));
      else resolve(JSON.parse(last) as R);
    });
  });
}

/**
 * When `moduleUrl` is the process's entry script, run `main` with the JSON
 * input from argv and print its result as one JSON line.
 */
export function runIfMain<I, R>(moduleUrl: string, main: (input: I) => Promise<R>): void {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  main(JSON.parse(process.argv[2] ?? '{}') as I).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** A completed periodic checkpoint, as its job reported it. */
export interface CheckpointTaken {
  readonly durationMs: number;
  readonly bytes: number;
}

/** Run `job` to its end; returns its periodic (not final) checkpoints. */
export async function runJob(job: Job<Guarantee>): Promise<CheckpointTaken[]> {
  const taken: CheckpointTaken[] = [];
  const handle = job.start();
  handle.events.subscribe((e) => {
    if (e.type === 'checkpoint-completed' && !e.final) taken.push({ durationMs: e.durationMs, bytes: e.bytes });
  });
  await handle.done;
  return taken;
}

/** A sink doing the same work as the plain-RxJS baseline's subscriber: add each record up. */
export function summingSink(into: { sum: number }): Sink<number, 'at-least-once'> {
  return {
    name: 'sum',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    createWriter: () => ({
      write(record: number) {
        into.sum += record;
      },
      flush() {},
      close() {},
    }),
  };
}

const blockSize = 1000;

/**
 * The starts of the 1000-number blocks of 0 .. count-1, one block a tick, for
 * {@link expandBlocks} to turn into numbers: the input then holds one entry
 * per 1000 records, so memory figures see what the pipeline holds rather than
 * the size of the input, and flow control can still pause between blocks.
 */
export function blockStarts(count: number): Source<number, 'exactly-once'> {
  return collectionSource(
    Array.from({ length: Math.ceil(count / blockSize) }, (_, i) => i * blockSize),
    { chunkSize: 1 },
  );
}

/** The numbers of each block that {@link blockStarts} emits. */
export const expandBlocks = flatMap((start: number) => Array.from({ length: blockSize }, (_, i) => start + i));
