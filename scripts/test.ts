/**
 * `npm test`: the one command CI and developers run.
 *
 * Phases run in order and stop at the first failure: the compiler over everything
 * (which is also the type-level suite in test/types: an unused `@ts-expect-error`
 * fails it), the unit suites, the package as npm ships it, the browser suite (the
 * monitor page in Debian's headless Chromium), then the integration suites against
 * real servers that the service harness brings up (and stops again, whatever happens).
 * Each uvu phase runs in its own process so a crashed suite cannot hide the others'
 * results, and the totals are summed into one closing line that CI reads.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { down, isServiceName, startedHere, up } from '../services/index.js';
import { messageOf } from '../src/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;

let passed = 0;
let failed = 0;
let skipped = 0;
let current: ChildProcess | undefined;

class PhaseFailed extends Error {
  override name = 'PhaseFailed';
}

async function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env, onOutput?: (out: string) => void): Promise<string> {
  console.log(`\n== ${label}`);
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  current = child;
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    process.stdout.write(chunk);
  });
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  current = undefined;
  // Count a failing suite's results too, so the closing line says what failed.
  onOutput?.(out);
  if (status !== 0) throw new PhaseFailed(`${label} failed (exit ${status})`);
  return out;
}

/** Where test/browser finds Chromium (Debian's `chromium` package; `.ci/run` installs it). */
const chromium = process.env.ONCEFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** The browser suite needs Chromium: without it the phase fails and says how to get it, never skips. */
async function browserPhase(dir: string): Promise<void> {
  if (!existsSync(`${root}${dir}`)) return;
  if (!existsSync(chromium)) {
    throw new PhaseFailed(
      `browser tests need Chromium at ${chromium}, and it is missing: run .ci/run (it installs it), or apt-get install -y chromium, or set ONCEFLOW_CHROMIUM to a Chromium binary`,
    );
  }
  await uvuPhase('browser tests (the monitor page in headless Chromium; screenshot in test-results/)', dir);
}

async function uvuPhase(label: string, dir: string, env?: NodeJS.ProcessEnv): Promise<void> {
  if (!existsSync(`${root}${dir}`)) return;
  let total = 0;
  await run(label, process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', `${root}scripts/run-suites.ts`, dir, '\\.test\\.ts$'], env, (out) => {
    const count = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(out)?.[1] ?? 0);
    total = count('Total');
    passed += count('Passed');
    skipped += count('Skipped');
    failed += total - count('Passed') - count('Skipped');
  });
  if (total === 0) throw new PhaseFailed(`${label}: no test ran`);
}

/** Suites live in test/integration/<server>/, so the folder names say which servers to bring up. */
async function integrationPhase(dir: string): Promise<void> {
  if (!existsSync(`${root}${dir}`)) return;
  const needed = readdirSync(`${root}${dir}`, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() && isServiceName(entry.name) ? [entry.name] : []));
  console.log(`\n== servers for the integration tests: ${needed.join(', ')}`);
  const servers = await up(needed);
  try {
    await uvuPhase('integration tests', dir, { ...process.env, ...servers.env });
  } finally {
    await down(servers.started);
  }
}

function finish(code: number): never {
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code);
}

// Servers run detached, so an interrupted run must stop what it started itself.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    current?.kill(signal);
    void down(startedHere()).finally(() => finish(130));
  });
}

try {
  await run('layers (src imports one way, no cycles)', process.execPath, ['--import', 'tsx', `${root}scripts/check-layers.ts`]);
  await run('typecheck (src, examples and the type-level suite in test/types)', process.execPath, [tsc, '-p', 'tsconfig.json']);
  await uvuPhase('unit tests', 'test/unit');
  await uvuPhase('fault-injection tests (thrown failures, SIGKILLed processes)', 'test/fault');
  await uvuPhase('package (npm pack, installed into an empty project, a TypeScript consumer compiled and run)', 'test/package');
  await browserPhase('test/browser');
  await integrationPhase('test/integration');
} catch (error) {
  console.error(`\n${messageOf(error)}`);
  finish(1);
}
finish(failed === 0 ? 0 : 1);
