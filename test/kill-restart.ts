// Runs a job script in child processes, killing each with SIGKILL at a random
// moment after a few checkpoints, until a run finishes on its own.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How the runs went. */
export interface KillRestartResult {
  /** Runs killed before the one that finished. */
  readonly kills: number;
  /** Checkpoints each killed run had completed when it was killed. */
  readonly checkpointsAtKill: number[];
  /** What each run wrote to its standard output, in run order. */
  readonly stdout: string[];
}

/** Options of {@link runWithKills}. */
export interface KillRestartOptions {
  /** How many runs to kill. */
  readonly kills: number;
  /** A killed run gets between 1 and this many completed checkpoints first. Default 2. */
  readonly maxCheckpoints?: number;
  /** Where the kill points come from; pass a seeded generator to make a run replayable. Default Math.random. */
  readonly random?: () => number;
}

/**
 * Run the job script at `script` with `args` until it exits 0, killing the
 * first `kills` runs after between 1 and `maxCheckpoints` completed
 * checkpoints (each printed as a `checkpoint <id>` line) plus a random few ms,
 * so each killed run gets only a little way and the input outlasts the kills.
 * A run that ends any other way, or hangs for 30 s, fails the test.
 */
export async function runWithKills(script: URL, args: string[], options: KillRestartOptions): Promise<KillRestartResult> {
  const random = options.random ?? Math.random;
  const checkpointsAtKill: number[] = [];
  const stdout: string[] = [];
  for (let run = 0; ; run++) {
    const killAfter = run < options.kills ? 1 + Math.floor(random() * (options.maxCheckpoints ?? 2)) : Infinity;
    const outcome = await runOnce(fileURLToPath(script), args, killAfter, Math.floor(random() * 10));
    stdout.push(outcome.stdout);
    if (outcome.killed) checkpointsAtKill.push(outcome.checkpoints);
    else return { kills: checkpointsAtKill.length, checkpointsAtKill, stdout };
  }
}

function runOnce(script: string, args: string[], killAfter: number, killDelay: number): Promise<{ killed: boolean; checkpoints: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let checkpoints = 0;
    let killed = false;
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      checkpoints = (stdout.match(/^checkpoint /gm) ?? []).length;
      if (!killed && checkpoints >= killAfter) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), killDelay);
      }
    });
    // A run that hangs fails the test instead of hanging the suite.
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not end within 30 s:\n${stdout.slice(-500)}\n${stderr}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (signal === 'SIGKILL' && killed) resolve({ killed: true, checkpoints, stdout });
      else if (code === 0) resolve({ killed: false, checkpoints, stdout });
      else reject(new Error(`${script} exited with ${code ?? signal}:\n${stderr}`));
    });
  });
}
