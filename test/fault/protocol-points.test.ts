// A crash at each exact point of the checkpoint protocol, for every exactly-once sink:
// the rolling file sink in a child process killed with SIGKILL, the memory sink in
// process (a thrown error and a restart). Nothing lost and nothing twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectionSource, concatMap, fixedDelayRestart, memoryStore, pipeline } from 'onceflow';
import { memorySink } from 'onceflow/testing';
import { crashingAt, protocolPoints } from './fixtures/protocol-points.js';
import { withTempDir } from '../temp-dir.js';

const records = 20_000;
const expected = Array.from({ length: records }, (_, i) => `line ${i}`);
const script = fileURLToPath(new URL('./fixtures/protocol-kill-job.ts', import.meta.url));

function runJob(directory: string, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', script, directory, String(records)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The finished parts' lines, in part order: what a reader of the rolling sink sees. */
async function finishedLines(directory: string): Promise<string[]> {
  const parts = (await readdir(directory)).filter((n) => /^part-.*-\d+$/.test(n)).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
  const lines: string[] = [];
  for (const part of parts) lines.push(...(await readFile(join(directory, part), 'utf8')).split('\n').filter((l) => l.length > 0));
  return lines;
}

for (const point of protocolPoints) {
  test(`rolling file sink, SIGKILL at ${point}: after a restart every line is in the finished parts once`, () =>
    withTempDir('protocol', async (directory) => {
      const killed = await runJob(directory, { ONCEFLOW_TEST_KILL_AT: point, ONCEFLOW_TEST_KILL_CHECKPOINT: '2' });
      assert.is(killed.signal, 'SIGKILL', `killed at ${point}: ${killed.stdout}${killed.stderr}`);
      assert.match(killed.stdout, new RegExp(`killed at ${point} of checkpoint`));
      const resumed = await runJob(directory, {});
      assert.is(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /done finished/);
      const lines = await finishedLines(join(directory, 'out'));
      assert.is(lines.length, expected.length, 'as many lines as records');
      assert.equal(lines, expected);
    }));

  // The memory sink prepares one transaction per checkpoint: there is no middle of its commit.
  if (point === 'mid-commit') continue;
  test(`memory sink, a crash at ${point} and a restart in process: every record committed once`, async () => {
    const sink = memorySink<string>();
    let crashes = 0;
    const wrapped = crashingAt(sink, memoryStore(), {
      point,
      checkpointId: 2,
      crash: (at, checkpointId) => {
        crashes++;
        throw new Error(`crash at ${at} of checkpoint ${checkpointId}`);
      },
    });
    const result = await pipeline({
      id: `protocol-${point}`,
      guarantee: 'exactly-once',
      checkpoints: { interval: 2, store: wrapped.store },
      restart: fixedDelayRestart({ attempts: 2, delay: 0 }),
      // Records queued in concatMap hold the barriers back: a short queue keeps checkpoints coming while the
      // source lasts, so checkpoint 2 is a periodic one (the source can emit thousands of records a turn).
      flowControl: { highWaterMark: 200, lowWaterMark: 100 },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
      .from(collectionSource(expected, { chunkSize: 20 }))
      .pipe(concatMap((line: string) => new Promise<string>((resolve) => setImmediate(() => resolve(line)))))
      .to(wrapped.sink)
      .run();
    assert.is(crashes, 1, `crashed at ${point}`);
    assert.is(result.attempts, 2);
    assert.equal(sink.committed, expected);
  });
}

test.run();
