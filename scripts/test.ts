/**
 * `npm test`: the one command CI and developers run.
 *
 * Phases run in order and stop at the first failure: the compiler over everything
 * (which is also the type-level suite in test/types: an unused `@ts-expect-error`
 * fails it), then the uvu suites. Each uvu phase runs in its own process so a
 * crashed suite cannot hide the others' results, and the totals are summed into
 * one closing line that CI reads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;
const uvu = `${root}node_modules/uvu/bin.js`;

let passed = 0;
let failed = 0;
let skipped = 0;

function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  console.log(`\n== ${label}`);
  const result = spawnSync(command, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(result.stdout ?? '');
  if (result.status !== 0) {
    console.error(`\n${label} failed (exit ${result.status ?? result.signal})`);
    finish(1);
  }
  return result.stdout ?? '';
}

function uvuPhase(label: string, dir: string, env?: NodeJS.ProcessEnv): void {
  if (!existsSync(`${root}${dir}`)) return;
  const out = run(label, process.execPath, ['--conditions=source', '--import', 'tsx', uvu, dir, '\\.test\\.ts$', '--color=false'], env);
  const count = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(out)?.[1] ?? 0);
  const total = count('Total');
  if (total === 0) {
    console.error(`${label}: no test ran`);
    finish(1);
  }
  passed += count('Passed');
  skipped += count('Skipped');
  failed += total - count('Passed') - count('Skipped');
}

function finish(code: number): never {
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code);
}

run('typecheck (src, examples and the type-level suite in test/types)', process.execPath, [tsc, '-p', 'tsconfig.json']);
uvuPhase('unit tests', 'test/unit');
uvuPhase('fault-injection tests (thrown failures, SIGKILLed processes)', 'test/fault');
finish(failed === 0 ? 0 : 1);
