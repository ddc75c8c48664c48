/**
 * `npm run bench [-- --full] [-- --only NAME]`: builds the library and the
 * benchmarks to JavaScript, runs each benchmark in its own Node process on
 * the built code (what users run, without a transpiler's start-up), prints one
 * table of figures against their baselines, and writes the results as JSON
 * under bench/results for comparison across commits.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Figure } from './measure.js';
import { runChild } from './measure.js';

// The Kafka figures need a broker: they run when ONCEFLOW_KAFKA_BROKERS names one (`eval "$(npm run -s services -- up kafka)"`).
const benchmarks = [
  'throughput',
  'counting-cost',
  'checkpoint-overhead',
  'keyed-count',
  'incremental-state',
  'flow-control',
  'recovery',
  'kinesis',
  'messaging',
  'cassandra-elasticsearch',
  ...(process.env.ONCEFLOW_KAFKA_BROKERS ? ['kafka'] : []),
];

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const full = args.includes('--full');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
if (only !== undefined && !benchmarks.includes(only)) throw new Error(`--only takes one of ${benchmarks.join(', ')}`);

function sh(command: string, commandArgs: string[]): string {
  return execFileSync(command, commandArgs, { cwd: root, encoding: 'utf8' }).trim();
}

function passes(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  const value = f.ratio ?? f.measured;
  return f.target.op === '>=' ? value >= f.target.value : f.target.op === '<=' ? value <= f.target.value : value < f.target.value;
}

function format(value: number | undefined, unit: string): string {
  if (value === undefined) return '-';
  if (unit === 'records/s') return `${(value / 1e6).toFixed(2)}M rec/s`;
  if (unit === 'bytes') return `${(value / 2 ** 20).toFixed(1)} MiB`;
  return `${value.toFixed(0)} ${unit}`;
}

function table(figures: readonly Figure[]): string {
  const header = ['figure', 'measured', 'baseline', 'ratio', 'median ratio', 'target', 'result'];
  const rows = figures.map((f) => {
    const ok = passes(f);
    return [
      f.figure,
      format(f.measured, f.unit),
      format(f.baseline, f.unit),
      f.ratio === undefined ? '-' : f.ratio.toFixed(3),
      f.medianRatio === undefined ? '-' : f.medianRatio.toFixed(3),
      f.target ? `${f.ratio === undefined ? '' : 'ratio '}${f.target.op} ${f.target.value}${f.ratio === undefined ? ` ${f.unit}` : ''}` : 'reported',
      ok === undefined ? '-' : ok ? 'pass' : 'FAIL',
    ];
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * A copy of the built library with its per-record counters (`this.recordsIn++`)
 * taken out, for figure 1b: the same code with and without record counting. Fails if it finds none, so a renamed counter cannot make 1b
 * compare the library with itself.
 */
function uncountedCopy(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  let stripped = 0;
  for (const entry of readdirSync(to, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.js')) continue;
    const file = `${to}/${entry}`;
    const code = readFileSync(file, 'utf8');
    const uncounted = code.replaceAll('this.recordsIn++;', () => (stripped++, '/* record counter stripped */;'));
    if (uncounted !== code) writeFileSync(file, uncounted);
  }
  if (stripped < 2) throw new Error(`found ${stripped} record counters (this.recordsIn++) to strip in ${from}; figure 1b needs the operator's and the sink's`);
}

const tsc = `${root}node_modules/typescript/bin/tsc`;
console.error('building the library (dist) and the benchmarks (bench/.build) ...');
sh(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
sh(process.execPath, [tsc, '-p', 'bench/tsconfig.json']);
uncountedCopy(`${root}dist`, `${root}bench/.build/uncounted`);

const startedAt = new Date();
const loadBefore = loadavg();
const figures: Figure[] = [];
for (const name of only ? [only] : benchmarks) {
  console.error(`running ${name}${full ? ' (--full)' : ''} ...`);
  const started = performance.now();
  figures.push(...(await runChild<Figure[]>(`${root}bench/.build/${name}.js`, { full })));
  console.error(`  ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
const result = {
  date: startedAt.toISOString(),
  commit,
  uncommittedChanges: sh('git', ['status', '--porcelain']) !== '',
  options: { full, only },
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    // Other work on the machine skews figures: the load average says how busy it was.
    loadAverage: { before: loadBefore, after: loadavg() },
  },
  figures: figures.map((f) => ({ ...f, pass: passes(f) })),
};

console.log(table(figures));
console.log(
  `\n${result.machine.cpu}, ${result.machine.cores} cores, ${(result.machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${result.machine.node}; ` +
    `load average ${loadBefore[0]?.toFixed(2)} before, ${result.machine.loadAverage.after[0]?.toFixed(2)} after; commit ${commit}`,
);
const results = `${root}bench/results`;
mkdirSync(results, { recursive: true });
const json = `${JSON.stringify(result, null, 2)}\n`;
const file = `${results}/${startedAt.toISOString().replace(/[:.]/g, '-')}-${commit}.json`;
writeFileSync(file, json);
writeFileSync(`${results}/latest.json`, json);
console.log(`results: ${file}`);
