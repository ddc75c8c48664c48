// Two processes started with the same job id and store: the second fails at once,
// naming the first, instead of racing it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../temp-dir.js';

const script = fileURLToPath(new URL('./fixtures/keyed-count-job.ts', import.meta.url));

function start(directory: string) {
  const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', script, directory, '5000000', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

test('a second process of a running job fails at once with an error naming the first', () =>
  withTempDir('one-runner', async (directory) => {
    const first = start(directory);
    try {
      await new Promise<void>((resolve, reject) => {
        first.child.stdout.on('data', () => /^checkpoint /m.test(first.output().stdout) && resolve());
        void first.exited.then(() => reject(new Error(`the first run ended early: ${first.output().stderr}`)));
      });
      const second = start(directory);
      const ended = await second.exited;
      assert.is(ended.code, 1, second.output().stderr);
      assert.match(second.output().stderr, new RegExp(`JobLockedError: job 'keyed-count' is already running \\(pid ${first.child.pid} on host `));
      assert.is(first.child.exitCode, null, 'the first still runs');
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
  }));

test.run();
