/**
 * What the guarantee check costs the compiler: `node --import tsx bench/typecheck-cost.ts [COUNT]`
 * (not part of `npm test` or `npm run bench`).
 *
 * Builds the library's declarations (`dist`, as users get them), then writes two files of COUNT
 * (default 1,000) typical pipelines into a scratch directory under the system's temp directory: one
 * with onceflow, one with the same pipelines in plain RxJS (the same operators, lambdas and
 * number of steps; a subscriber where onceflow has a sink). Each is type-checked by itself with
 * `tsc --extendedDiagnostics` (the project's compiler options, `skipLibCheck` on, so declarations of
 * libraries are read, not checked), alternately, RUNS times each; an empty file importing the same
 * names is checked too, so the figures can be read net of loading the libraries' declarations.
 * It prints, per variant, the best check time, the type instantiations and the memory used, and
 * the ratios onceflow / RxJS. On a shared machine the wall-clock check time moves with the load
 * (ratios from 1.2 to 1.6 in one hour on 2 busy cores), so it also measures the CPU time the
 * checker itself takes (binding and checking the file, through the compiler API, `process.cpuUsage`),
 * which other processes disturb much less.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const count = Number(process.argv[2] ?? 1000);
const runs = Number(process.env['RUNS'] ?? 3);

/** One onceflow pipeline and the same in RxJS, of one of four shapes that users write. */
function pipelines(i: number): { onceflow: string; rxjs: string } {
  switch (i % 4) {
    case 0: // word count into part files, exactly-once
      return {
        onceflow: `export const job${i} = pipeline({ id: 'job${i}', guarantee: 'exactly-once', checkpoints: { interval: 1000 } })
  .from(fileSource({ path: 'in/${i}' }))
  .pipe(map((s) => s.trim()), filter((s) => s.length > 0), flatMap((s) => s.split(' ')), keyBy((w) => w.toLowerCase()), count(), map(({ key, value }) => \`\${key}\\t\${value}\`))
  .to(rollingFileSink<string>({ directory: 'out/${i}' }));`,
        rxjs: `export const job${i} = from(lines${i})
  .pipe(map((s) => s.trim()), filter((s) => s.length > 0), mergeMap((s) => s.split(' ')), map((w) => ({ key: w.toLowerCase(), value: w })), scan((acc: { key: string; value: number }, kv: { key: string; value: string }) => ({ key: kv.key, value: acc.value + 1 }), { key: '', value: 0 }), map(({ key, value }) => \`\${key}\\t\${value}\`))
  .subscribe(sink);`,
      };
    case 1: // parse and filter numbers to stdout, at-least-once
      return {
        onceflow: `export const job${i} = pipeline({ id: 'job${i}', guarantee: 'at-least-once', checkpoints: { interval: 500 } })
  .from(collectionSource(['1', '2', '${i}']))
  .pipe(map((s) => Number(s)), filter((n) => Number.isFinite(n)), map((n) => ({ n, square: n * n })))
  .to(stdoutSink());`,
        rxjs: `export const job${i} = from(['1', '2', '${i}'])
  .pipe(map((s) => Number(s)), filter((n) => Number.isFinite(n)), map((n) => ({ n, square: n * n })))
  .subscribe(sink);`,
      };
    case 2: // a longer chain with an asynchronous lookup, into a file
      return {
        onceflow: `export const job${i} = pipeline({ id: 'job${i}', checkpoints: { interval: 1000 } })
  .from(fileSource({ path: 'in/${i}', decoder: jsonLines<{ user: string; amount: number }>() }))
  .pipe(
    filter((o) => o.amount > 0),
    map((o) => ({ ...o, cents: Math.round(o.amount * 100) })),
    concatMap(async (o) => ({ ...o, region: o.user.slice(0, 2) })),
    keyBy((o) => o.region),
    map(({ key, value }) => ({ region: key, cents: value.cents })),
    filter((r) => r.cents < 1_000_000),
    map((r) => \`\${r.region},\${r.cents}\`),
    map((line) => line.toUpperCase()),
  )
  .to(fileSink<string>({ path: 'out/${i}.csv' }));`,
        rxjs: `export const job${i} = from(orders${i})
  .pipe(
    filter((o) => o.amount > 0),
    map((o) => ({ ...o, cents: Math.round(o.amount * 100) })),
    concatMap(async (o) => ({ ...o, region: o.user.slice(0, 2) })),
    map((o) => ({ key: o.region, value: o })),
    map(({ key, value }) => ({ region: key, cents: value.cents })),
    filter((r) => r.cents < 1_000_000),
    map((r) => \`\${r.region},\${r.cents}\`),
    map((line) => line.toUpperCase()),
  )
  .subscribe(sink);`,
      };
    default: // two sources merged, from a socket, to stdout
      return {
        onceflow: `const p${i} = pipeline({ id: 'job${i}', checkpoints: { interval: 1000 } });
export const job${i} = union(p${i}.from(socketSource({ host: '127.0.0.1', port: ${1000 + i} })), p${i}.from(fileSource({ path: 'in/${i}' })))
  .pipe(map((s) => s.length), filter((n) => n > 3))
  .to(stdoutSink());`,
        rxjs: `export const job${i} = merge(from(lines${i}), from(lines${i}))
  .pipe(map((s) => s.length), filter((n) => n > 3))
  .subscribe(sink);`,
      };
  }
}

const onceflowImports = `import { collectionSource, concatMap, count, fileSink, fileSource, filter, flatMap, jsonLines, keyBy, map, pipeline, rollingFileSink, socketSource, stdoutSink, union } from 'onceflow';\n`;
const rxjsImports = `import { concatMap, filter, from, map, merge, mergeMap, scan } from 'rxjs';\nconst sink = (value: unknown): void => void value;\n`;
/** The RxJS pipelines read arrays where onceflow reads files: declared, one per pipeline, as a source is. */
function rxjsInputs(i: number): string {
  return i % 4 === 2 ? `declare const orders${i}: { user: string; amount: number }[];\n` : i % 4 === 1 ? '' : `declare const lines${i}: string[];\n`;
}

interface Figures {
  readonly checkTime: number;
  /** CPU seconds of binding and checking, measured through the compiler API. */
  readonly checkCpu: number;
  readonly totalTime: number;
  readonly instantiations: number;
  readonly memoryKiB: number;
  readonly types: number;
}

function check(dir: string, file: string): Figures {
  let out: string;
  try {
    out = execFileSync(process.execPath, [tsc, '-p', join(dir, `tsconfig.${file}.json`), '--extendedDiagnostics'], { encoding: 'utf8' });
  } catch (error) {
    const failed = error as { stdout?: string };
    throw new Error(`${file} does not type-check:\n${failed.stdout ?? String(error)}`);
  }
  const figure = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+([\\d.]+)`, 'm').exec(out);
    if (!match?.[1]) throw new Error(`no ${name} in the output of tsc:\n${out}`);
    return Number(match[1]);
  };
  const cpu = JSON.parse(execFileSync(process.execPath, [join(dir, 'check-cpu.cjs'), join(dir, `tsconfig.${file}.json`)], { encoding: 'utf8' })) as { cpuSeconds: number };
  return {
    checkCpu: cpu.cpuSeconds,
    checkTime: figure('Check time'),
    totalTime: figure('Total time'),
    instantiations: figure('Instantiations'),
    memoryKiB: figure('Memory used'),
    types: figure('Types'),
  };
}

function best(all: readonly Figures[]): Figures {
  const min = (pick: (f: Figures) => number) => Math.min(...all.map(pick));
  return { checkCpu: min((f) => f.checkCpu), checkTime: min((f) => f.checkTime), totalTime: min((f) => f.totalTime), instantiations: min((f) => f.instantiations), memoryKiB: min((f) => f.memoryKiB), types: min((f) => f.types) };
}

console.error('building the library declarations (dist) ...');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'onceflow-typecheck-'));
try {
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'check-cpu.cjs'),
    `const ts = require(${JSON.stringify(join(root, 'node_modules/typescript'))});
const config = ts.getParsedCommandLineOfConfigFile(process.argv[2], {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} });
const program = ts.createProgram(config.fileNames, config.options);
const start = process.cpuUsage();
const errors = program.getSemanticDiagnostics().length;
const used = process.cpuUsage(start);
if (errors > 0) throw new Error(errors + ' type errors');
console.log(JSON.stringify({ cpuSeconds: (used.user + used.system) / 1e6 }));
`,
  );
  const generated = Array.from({ length: count }, (_, i) => pipelines(i));
  const files: Record<string, string> = {
    onceflow: onceflowImports + generated.map((p) => p.onceflow).join('\n\n') + '\n',
    rxjs: rxjsImports + generated.map((_, i) => rxjsInputs(i)).join('') + generated.map((p) => p.rxjs).join('\n\n') + '\n',
    'onceflow-empty': onceflowImports.replace('import {', 'import type {') + 'export {};\n',
    'rxjs-empty': rxjsImports.replace(/import \{[^}]*\} from 'rxjs';/, "import type { Observable } from 'rxjs';\nexport type Unused = Observable<unknown>;") + 'export {};\n',
  };
  mkdirSync(join(dir, 'src'));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, 'src', `${name}.ts`), text);
    writeFileSync(
      join(dir, `tsconfig.${name}.json`),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          noEmit: true,
          paths: { onceflow: [join(root, 'dist/index.d.ts')] },
        },
        files: [`src/${name}.ts`],
      }),
    );
  }
  const names = Object.keys(files);
  const results: Record<string, Figures[]> = Object.fromEntries(names.map((n) => [n, []]));
  const loadBefore = loadavg();
  for (let run = 0; run < runs; run++) {
    for (const name of names) results[name]!.push(check(dir, name));
  }
  const loadAfter = loadavg();
  const of = (name: string) => best(results[name]!);
  const [o, r, oe, re] = [of('onceflow'), of('rxjs'), of('onceflow-empty'), of('rxjs-empty')];
  const row = (label: string, f: Figures) => `| ${label} | ${f.checkTime.toFixed(2)} s | ${f.checkCpu.toFixed(2)} s | ${f.totalTime.toFixed(2)} s | ${f.instantiations} | ${f.types} | ${(f.memoryKiB / 1024).toFixed(0)} MiB |`;
  console.log(`${count} pipelines, best of ${runs} runs each, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`);
  console.log('| file | check time | check CPU | total time | instantiations | types | memory used |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(row(`onceflow, ${count} pipelines`, o));
  console.log(row(`RxJS, ${count} pipelines`, r));
  console.log(row('onceflow, imports only', oe));
  console.log(row('RxJS, imports only', re));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `onceflow / RxJS: check time ${ratio(o.checkTime, r.checkTime)} (net of imports ${ratio(o.checkTime - oe.checkTime, r.checkTime - re.checkTime)}), ` +
      `check CPU ${ratio(o.checkCpu, r.checkCpu)} (net ${ratio(o.checkCpu - oe.checkCpu, r.checkCpu - re.checkCpu)}), ` +
      `instantiations ${ratio(o.instantiations, r.instantiations)} (net ${ratio(o.instantiations - oe.instantiations, r.instantiations - re.instantiations)}), ` +
      `memory ${ratio(o.memoryKiB, r.memoryKiB)} (net ${ratio(o.memoryKiB - oe.memoryKiB, r.memoryKiB - re.memoryKiB)})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
