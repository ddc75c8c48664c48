import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';

// Three input files, multi-byte text, the last without a final newline.
async function writeInput(dir: string, linesPerFile: number): Promise<string[]> {
  await mkdir(dir);
  const expected: string[] = [];
  for (let f = 0; f < 3; f++) {
    const lines = Array.from({ length: linesPerFile }, (_, i) => `f${f} line ${i} — ünïcødé ✓`);
    expected.push(...lines);
    await writeFile(join(dir, `in-${f}.txt`), lines.join('\n') + (f < 2 ? '\n' : ''));
  }
  return expected.map((l) => l.toUpperCase());
}

test('rolling file sink fed by the file source: SIGKILLed three times, its finished files hold each record exactly once', async () => {
  await withTempDir('rolling-kill', async (root) => {
    const expected = await writeInput(join(root, 'in'), 40_000);
    const out = join(root, 'out');
    const { kills, checkpointsAtKill } = await runWithKills(new URL('./fixtures/file-job.ts', import.meta.url), [join(root, 'in'), out, join(root, 'checkpoints'), 'rolling'], { kills: 3 });
    assert.is(kills, 3, `killed three times (after ${checkpointsAtKill.join(', ')} checkpoints)`);
    // Part counters grow with the input, so the parts in counter order hold the input in order.
    const files = (await readdir(out)).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
    assert.ok(files.length > 1, `the size policy rolled several parts, got ${files.join(', ')}`);
    assert.ok(files.every((f) => !/^\..*\.(inprogress|pending)$/.test(f)), `no in-progress or pending part is left: ${files.join(', ')}`);
    const lines: string[] = [];
    for (const f of files) lines.push(...(await readFile(join(out, f), 'utf8')).split('\n').filter((l) => l.length > 0));
    assert.is(lines.length, expected.length, 'as many lines as input records');
    assert.equal(new Set(lines).size, lines.length, 'no record twice');
    assert.equal(lines, expected, 'every record, in input order');
  });
});

test('file sink fed by the file source: SIGKILLed twice, its output holds every record at least once', async () => {
  await withTempDir('file-sink-kill', async (root) => {
    const expected = await writeInput(join(root, 'in'), 30_000);
    const out = join(root, 'out.txt');
    const { kills } = await runWithKills(new URL('./fixtures/file-job.ts', import.meta.url), [join(root, 'in'), out, join(root, 'checkpoints'), 'file'], { kills: 2 });
    assert.is(kills, 2);
    const lines = new Set((await readFile(out, 'utf8')).split('\n'));
    const missing = expected.filter((l) => !lines.has(l));
    assert.equal(missing, [], 'no record lost');
  });
});

test('stdout sink fed by the file source: SIGKILLed twice, what the runs printed holds every record at least once', async () => {
  await withTempDir('stdout-kill', async (root) => {
    const expected = await writeInput(join(root, 'in'), 20_000);
    const { kills, stdout } = await runWithKills(new URL('./fixtures/file-job.ts', import.meta.url), [join(root, 'in'), 'unused', join(root, 'checkpoints'), 'stdout'], { kills: 2 });
    assert.is(kills, 2);
    const printed = new Set(stdout.join('').split('\n'));
    assert.equal(expected.filter((l) => !printed.has(l)), [], 'no record lost');
  });
});

test.run();
