import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../../temp-dir.js';

const example = fileURLToPath(new URL('../../../examples/wordcount.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

// Run the example in `cwd` (where it keeps .onceflow); with `interrupt`, send that signal once a checkpoint is stored and
// output is being written (on a loaded machine the first checkpoint can come before the first record).
function runExample(cwd: string, input: string, interrupt?: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', tsx, example, input], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ONCEFLOW_LOG: 'info' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const checkpoints = join(cwd, '.onceflow', 'checkpoints', 'wordcount');
    const output = join(cwd, '.onceflow', 'output', 'wordcount');
    const timer = setInterval(() => {
      if (!interrupt) return;
      Promise.all([readdir(checkpoints), readdir(output)]).then(
        ([stored, written]) => {
          // Once: a second signal stops the job without its final checkpoint.
          if (stored.length === 0 || written.length === 0 || !interrupt) return;
          child.kill(interrupt);
          interrupt = undefined;
        },
        () => {},
      );
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the main example, sent SIGTERM, drains: no in-progress part is left, and a second run resumes and ends with the counts of an uninterrupted count', async () => {
  await withTempDir('wordcount', async (cwd) => {
    // Letters only: the example splits words on anything else.
    const vocabulary = Array.from({ length: 300 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    const expected = new Map<string, number>();
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const words = Array.from({ length: 6 }, (_, j) => vocabulary[(i * 7 + j * 13 + ((i * j) % 17)) % vocabulary.length] as string);
      for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);
      lines.push(words.join(' '));
    }
    await mkdir(join(cwd, 'text'));
    await writeFile(join(cwd, 'text', 'big.txt'), lines.join('\n'));
    const first = await runExample(cwd, join(cwd, 'text'), 'SIGTERM');
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stderr, /SIGTERM received: draining/);
    assert.match(first.stderr, /wordcount drained: run it again/, 'the first run was interrupted mid-way');
    const output = join(cwd, '.onceflow', 'output', 'wordcount');
    const afterDrain = await readdir(output);
    assert.ok(afterDrain.length > 0, 'the drained run finished its parts');
    assert.equal(
      afterDrain.filter((n) => /\.(inprogress|pending)$/.test(n)),
      [],
      'draining leaves no in-progress or pending part',
    );
    let runs = 1;
    for (let last = first; !/finished/.test(last.stderr); runs++) {
      assert.ok(runs < 5, 'finishes within a few runs');
      last = await runExample(cwd, join(cwd, 'text'));
      assert.is(last.code, 0, last.stderr);
      assert.match(last.stderr, /restoring from checkpoint \d+/, 'the next run resumes from the drained checkpoint');
    }
    const names = await readdir(output);
    assert.ok(names.every((n) => !/^\..*\.(inprogress|pending)$/.test(n)), 'no hidden part is left');
    const counts = new Map<string, number>();
    let updates = 0;
    for (const name of names) {
      for (const line of (await readFile(join(output, name), 'utf8')).split('\n').filter(Boolean)) {
        const [word = '', n = ''] = line.split('\t');
        counts.set(word, Math.max(counts.get(word) ?? 0, Number(n)));
        updates++;
      }
    }
    assert.equal(Object.fromEntries([...counts].sort()), Object.fromEntries([...expected].sort()), 'final counts');
    assert.is(updates, 30_000 * 6, 'one running-count line per word read: none lost, none written twice');
  });
});

test.run();
