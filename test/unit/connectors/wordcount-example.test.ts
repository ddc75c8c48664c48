import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../../temp-dir.js';

const example = fileURLToPath(new URL('../../../examples/wordcount.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

// Run the example in `cwd` (where it keeps .onceflow); with `interrupt`, send SIGINT once its first checkpoint is stored.
function runExample(cwd: string, input: string, interrupt = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, example, input], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const checkpoints = join(cwd, '.onceflow', 'checkpoints', 'wordcount');
    const timer = setInterval(() => {
      if (!interrupt) return;
      readdir(checkpoints).then(
        (names) => {
          // Once: a second Ctrl-C would kill the process outright.
          if (names.length === 0 || !interrupt) return;
          interrupt = false;
          child.kill('SIGINT');
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

test('the main example, interrupted with Ctrl-C and run again, ends with the counts of an uninterrupted count', async () => {
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
    const first = await runExample(cwd, join(cwd, 'text'), true);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stderr, /stopped: run it again/, 'the first run was interrupted mid-way');
    let runs = 1;
    for (let last = first; !/finished/.test(last.stderr); runs++) {
      assert.ok(runs < 5, 'finishes within a few runs');
      last = await runExample(cwd, join(cwd, 'text'));
      assert.is(last.code, 0, last.stderr);
    }
    const output = join(cwd, '.onceflow', 'output', 'wordcount');
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
