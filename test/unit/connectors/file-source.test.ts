import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, rename, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, FileChangedError, FileReadError, fileSource, jsonLines, MalformedRecordError } from 'onceflow';
import { startSource } from 'onceflow/testing';
import { withTempDir } from '../../temp-dir.js';
import { drain, filePosition } from './helpers.js';

const text = ['première ligne', '', 'ß∂ƒ©˙∆˚¬…æ — 𝄞 emoji 🎉', 'crlf line\r', 'last line without newline'];

test('file source: reads lines across tiny reads that split multi-byte UTF-8, CRLF and a last line without newline', async () => {
  await withTempDir('fs-utf8', async (dir) => {
    const path = join(dir, 'in.txt');
    await writeFile(path, text.join('\n'));
    for (const readSize of [1, 2, 3, 5, 7, 64]) {
      const { records, completed, error } = await drain(fileSource({ path, readSize }));
      assert.is(error, undefined);
      assert.ok(completed);
      assert.equal(records, text.map((l) => l.replace(/\r$/, '')), `readSize ${readSize}`);
    }
  });
});

test('file source: the position after each record is an exact byte offset; a reader restored there reads exactly the rest', async () => {
  await withTempDir('fs-position', async (dir) => {
    const path = join(dir, 'in.txt');
    await writeFile(path, text.join('\n'));
    const first = await drain(fileSource({ path, readSize: 3, chunkSize: 2 }));
    const expected = first.records;
    let offset = 0;
    for (let i = 0; i < expected.length - 1; i++) {
      const checkpoint = first.checkpoints[i];
      offset += Buffer.byteLength(text[i] as string) + (i < text.length - 1 ? 1 : 0);
      assert.is(filePosition(checkpoint)?.offset, offset, `byte offset after record ${i}`);
      const rest = await drain(fileSource({ path, readSize: 3 }), checkpoint);
      assert.equal(rest.records, expected.slice(i + 1), `restored after record ${i}`);
      assert.ok(rest.completed);
    }
  });
});

test('file source: a directory is read in path order through the glob, skipping hidden files; finished files are not read again', async () => {
  await withTempDir('fs-dir', async (dir) => {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'b.txt'), 'b1\nb2\n');
    await writeFile(join(dir, 'a.txt'), 'a1\na2');
    await writeFile(join(dir, 'sub', 'c.txt'), 'c1\n');
    await writeFile(join(dir, 'skip.log'), 'nope\n');
    await writeFile(join(dir, '.hidden.txt'), 'nope\n');
    const all = await drain(fileSource({ path: dir, glob: '**/*.txt' }));
    assert.equal(all.records, ['a1', 'a2', 'b1', 'b2', 'c1']);
    const top = await drain(fileSource({ path: dir, glob: '*.txt' }));
    assert.equal(top.records, ['a1', 'a2', 'b1', 'b2']);
    // Restored after the first record of b.txt: a.txt is finished and no longer in the checkpoint, b.txt resumes at its second line.
    const checkpoint = all.checkpoints[2];
    assert.equal(checkpoint?.splits.map((s) => s.split.splitId), [join(dir, 'b.txt')]);
    assert.equal(checkpoint?.enumerator, { pending: [{ splitId: join(dir, 'sub', 'c.txt'), path: join(dir, 'sub', 'c.txt') }] });
    const rest = await drain(fileSource({ path: dir, glob: '**/*.txt' }), checkpoint);
    assert.equal(rest.records, ['b2', 'c1']);
  });
});

test('file source: pause stops emission and resume goes on from the same record', async () => {
  await withTempDir('fs-pause', async (dir) => {
    const path = join(dir, 'in.txt');
    await writeFile(path, Array.from({ length: 5000 }, (_, i) => `${i}`).join('\n'));
    const running = startSource(fileSource({ path, chunkSize: 100 }), { onRecord: (_r, run) => void (run.records.length === 250 && run.pause()) });
    const { records, ended } = running;
    await new Promise((r) => setTimeout(r, 30));
    assert.is(records.length, 250, 'nothing emitted while paused');
    running.resume();
    // The runtime resumes sources while it hands queued records to the sink: emitting right here would reorder them.
    assert.is(records.length, 250, 'nothing emitted from inside resume()');
    assert.is(await ended, 'completed');
    await running.close();
    assert.equal(records.map(Number), Array.from({ length: 5000 }, (_, i) => i));
  });
});

test('file source: with monitorInterval a directory is watched for new files and the source does not end', async () => {
  await withTempDir('fs-monitor', async (dir) => {
    await writeFile(join(dir, '1.txt'), 'one\n');
    const running = startSource(fileSource({ path: dir, monitorInterval: 10 }));
    const { records } = running;
    let completed = false;
    void running.ended.then((end) => (end === 'completed' ? (completed = true) : assert.unreachable(String(end))));
    await new Promise((r) => setTimeout(r, 50));
    // Files appear whole, as they should: written elsewhere and moved in.
    await writeFile(join(dir, '.2.txt.tmp'), 'two\nthree\n');
    await rename(join(dir, '.2.txt.tmp'), join(dir, '2.txt'));
    await new Promise((r) => setTimeout(r, 80));
    await running.close();
    assert.equal(records, ['one', 'two', 'three']);
    assert.not.ok(completed);
  });
});

test('file source: a file that shrank below, or was replaced after, the stored position fails the restore with FileChangedError', async () => {
  await withTempDir('fs-changed', async (dir) => {
    const path = join(dir, 'in.txt');
    await writeFile(path, 'aaaa\nbbbb\ncccc\n');
    const { checkpoints } = await drain(fileSource({ path }));
    const afterSecond = checkpoints[1];
    await truncate(path, 6);
    const shrank = await drain(fileSource({ path }), afterSecond);
    assert.instance(shrank.error, FileChangedError);
    assert.match(String(shrank.error), /shrank to 6 bytes, below the stored position 10/);
    assert.is((shrank.error as FileChangedError).retriable, false);
    await unlink(path);
    // Another file, likely with the recycled inode: the hash of its first bytes tells it apart.
    await writeFile(path, 'zzzz\nyyyy\nxxxx\n');
    const replaced = await drain(fileSource({ path }), afterSecond);
    assert.instance(replaced.error, FileChangedError);
    assert.match(String(replaced.error), /replaced/);
    await unlink(path);
    const gone = await drain(fileSource({ path }), afterSecond);
    assert.instance(gone.error, FileChangedError);
    assert.match(String(gone.error), /disappeared/);
  });
});

test('file source: a file truncated or deleted while it is being read fails with FileChangedError', async () => {
  await withTempDir('fs-shrink-live', async (dir) => {
    const path = join(dir, 'in.txt');
    const content = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n');
    await writeFile(path, content);
    const pauseAt20 = { onRecord: (_r: string, run: { records: string[]; pause(): void }) => void (run.records.length === 20 && run.pause()) };
    const truncated = startSource(fileSource({ path, readSize: 64, chunkSize: 10 }), pauseAt20);
    await new Promise((r) => setTimeout(r, 20));
    await truncate(path, 50);
    truncated.resume();
    const error = await truncated.ended;
    assert.instance(error, FileChangedError);
    assert.match(String(error), /shrank to 50 bytes while being read/);
    await truncated.close();

    await writeFile(path, content);
    const deleted = startSource(fileSource({ path, readSize: 64, chunkSize: 10 }), pauseAt20);
    await new Promise((r) => setTimeout(r, 20));
    await unlink(path);
    deleted.resume();
    assert.match(String(await deleted.ended), /disappeared while being read/);
    await deleted.close();
  });
});

test('file source: a strict decoder rejects a malformed line with its file and byte offset, after emitting the good lines before it', async () => {
  await withTempDir('fs-malformed', async (dir) => {
    const path = join(dir, 'in.jsonl');
    await writeFile(path, '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n');
    const { records, error } = await drain(fileSource({ path, decoder: jsonLines<{ a: number }>() }));
    assert.equal(records, [{ a: 1 }, { a: 2 }]);
    assert.instance(error, MalformedRecordError);
    assert.is((error as MalformedRecordError).offset, 16);
    assert.is((error as MalformedRecordError).path, path);
    assert.is((error as MalformedRecordError).retriable, false);
    await writeFile(path, Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a]));
    const bad = await drain(fileSource({ path }));
    assert.equal(bad.records, ['a']);
    assert.instance(bad.error, MalformedRecordError, 'invalid UTF-8 is rejected by the default strict text decoder');
  });
});

test('file source: a missing path, or a path through a file (ENOTDIR), fails with a non-retriable FileReadError naming it', async () => {
  await withTempDir('fs-missing', async (dir) => {
    const missing = join(dir, 'nope');
    const { error } = await drain(fileSource({ path: missing }));
    assert.instance(error, FileReadError);
    assert.is((error as FileReadError).path, missing);
    assert.is((error as FileReadError).retriable, false);
    await writeFile(join(dir, 'file'), 'x');
    const through = await drain(fileSource({ path: join(dir, 'file', 'inside') }));
    assert.instance(through.error, FileReadError);
    assert.match(String(through.error), /ENOTDIR/);
  });
});

test('file source: bad options throw ConfigurationError naming the option', () => {
  assert.throws(() => fileSource({ path: '' }), (e: unknown) => e instanceof ConfigurationError && /path/.test(String(e)));
  assert.throws(() => fileSource({ path: 'x', chunkSize: 0 }), /chunkSize/);
  assert.throws(() => fileSource({ path: 'x', readSize: 1.5 }), /readSize/);
  assert.throws(() => fileSource({ path: 'x', monitorInterval: -1 }), /monitorInterval/);
  assert.throws(() => fileSource({ path: 'x', glob: '' }), /glob/);
});

test('file source: a symbolic link back to a parent directory does not make a file be read twice', async () => {
  await withTempDir('fs-symlink', async (dir) => {
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'a', 'one.txt'), '1\n');
    await writeFile(join(dir, 'a', 'b', 'two.txt'), '2\n');
    await symlink(join(dir, 'a'), join(dir, 'a', 'b', 'loop'));
    await symlink(join(dir, 'a', 'one.txt'), join(dir, 'a', 'b', 'same-as-one.txt'));
    const { records, error } = await drain(fileSource({ path: dir }));
    assert.is(error, undefined);
    assert.equal(records.sort(), ['1', '2']);
  });
});

test("file source: with monitoring, a new file that reuses a finished file's name is read as a new file", async () => {
  await withTempDir('fs-reuse', async (dir) => {
    await writeFile(join(dir, 'data.txt'), 'first 1\nfirst 2\n');
    const running = startSource(fileSource({ path: dir, monitorInterval: 10 }));
    while (running.records.length < 2) await new Promise((r) => setTimeout(r, 5));
    await unlink(join(dir, 'data.txt'));
    await writeFile(join(dir, '.tmp'), 'second 1\nsecond 2\nsecond 3\n');
    await rename(join(dir, '.tmp'), join(dir, 'data.txt'));
    while (running.records.length < 5) await new Promise((r) => setTimeout(r, 5));
    // Taken after the second file was read: it is in `seen` under its own identity, so a restore does not read it again.
    const checkpoint = running.checkpoint();
    await running.close();
    assert.equal(running.records, ['first 1', 'first 2', 'second 1', 'second 2', 'second 3']);
    const restored = startSource(fileSource({ path: dir, monitorInterval: 10 }), { restored: checkpoint });
    await new Promise((r) => setTimeout(r, 50));
    await restored.close();
    assert.equal(restored.records, []);
  });
});

test('file source: a file rewritten in place since the checkpoint, with the same start and more bytes, fails the restore', async () => {
  await withTempDir('fs-rewrite', async (dir) => {
    const path = join(dir, 'in.txt');
    // A header longer than the 1 KiB the file's head fingerprint covers, so only what was read last tells.
    const header = 'h'.repeat(1500);
    await writeFile(path, `${header}\nalpha\nbeta\n`);
    const { checkpoints } = await drain(fileSource({ path }));
    await writeFile(path, `${header}\nALPHA\nbeta\ngamma\ndelta\n`);
    const rewritten = await drain(fileSource({ path }), checkpoints[1]);
    assert.instance(rewritten.error, FileChangedError);
    assert.match(String(rewritten.error), /rewritten since the checkpoint/);
    // Appending is not rewriting: the same file, grown, resumes.
    await writeFile(path, `${header}\nalpha\nbeta\ngamma\n`);
    const grown = await drain(fileSource({ path }), checkpoints[1]);
    assert.equal(grown.records, ['beta', 'gamma']);
  });
});

test.run();
