// Runs a job script in child processes and SIGKILLs each after a random number of
// completed checkpoints, for unbounded sources (queues, streams): the last run is
// stopped by the test with SIGTERM (a drain) once `done()` says the output is complete.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of {@link killAndFinish}. */
export interface KillAndFinishOptions {
  readonly kills: number;
  /** A killed run gets between 1 and this many completed checkpoints first. Default 3. */
  readonly maxCheckpoints?: number;
  readonly random: () => number;
  /** Whether the output holds everything: then the last run is drained. */
  readonly done: () => Promise<boolean>;
  /** Longest the last run may take to complete the output, in ms. Default 60 000. */
  readonly timeout?: number;
}

/** Longest a drained run may take to exit after SIGTERM: a final checkpoint, its commit and closing the clients. */
const drainTimeout = 30_000;

/** Run `script` with `args` in a child process; `checkpoints()` counts its stdout lines starting `checkpoint `, `stdout()` is all it printed. */
export function spawnJob(script: URL, args: string[]): { child: ChildProcess; checkpoints: () => number; stdout: () => string; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', fileURLToPath(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, checkpoints: () => (stdout.match(/^checkpoint /gm) ?? []).length, stdout: () => stdout, output: () => `${stdout.slice(-500)}\n${stderr.slice(-2000)}`, exited };
}

/** Wait until `condition` holds, failing after `timeout` ms with `what()`. */
export async function until(condition: () => boolean | Promise<boolean>, timeout: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Kill `kills` runs, then run once more until `done()`, and drain it. Returns the checkpoints each killed run had completed. */
export async function killAndFinish(script: URL, args: string[], options: KillAndFinishOptions): Promise<number[]> {
  const atKill: number[] = [];
  for (let run = 0; run < options.kills; run++) {
    const job = spawnJob(script, args);
    const target = 1 + Math.floor(options.random() * (options.maxCheckpoints ?? 3));
    let ended = false;
    void job.exited.then(() => (ended = true));
    await until(() => ended || job.checkpoints() >= target, 30_000, () => `${target} checkpoints of run ${run + 1}:\n${job.output()}`);
    if (ended) throw new Error(`run ${run + 1} ended before it was killed:\n${job.output()}`);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(options.random() * 50)));
    job.child.kill('SIGKILL');
    await job.exited;
    atKill.push(job.checkpoints());
  }
  const last = spawnJob(script, args);
  let ended = false;
  void last.exited.then(() => (ended = true));
  try {
    // Drained only once it has completed a checkpoint: the output may be complete before the last run
    // even starts (an at-most-once source takes messages when it reads them), and a SIGTERM before the
    // job has installed its handler kills it instead of draining it.
    await until(async () => ended || (last.checkpoints() > 0 && (await options.done())), options.timeout ?? 60_000, () => `the last run to complete the output:\n${last.output()}`);
  } catch (error) {
    last.child.kill('SIGKILL');
    throw error;
  }
  if (ended) throw new Error(`the last run ended by itself:\n${last.output()}`);
  last.child.kill('SIGTERM');
  const drained = await Promise.race([last.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), drainTimeout).unref())]);
  if (drained === undefined) {
    last.child.kill('SIGKILL');
    await last.exited;
    throw new Error(`the last run did not exit within ${drainTimeout} ms of SIGTERM:\n${last.output()}`);
  }
  if (drained.code !== 0) throw new Error(`the last run exited with ${drained.code} after SIGTERM:\n${last.output()}`);
  return atKill;
}

/** The lines of every finished file in `dir` (a rolling file sink's output; in-progress parts start with a dot). */
export async function finishedLines(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith('.'));
  const contents = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
  return contents.join('').split('\n').filter((line) => line !== '');
}

/** Each line that stands again after its first time. */
export function duplicates(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  return lines.filter((l) => (seen.has(l) ? true : (seen.add(l), false)));
}
