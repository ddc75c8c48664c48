import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, FileChangedError, FileReadError, fileSource, jsonLines, MalformedRecordError } from 'onceflow';
import type { FilePosition } from 'onceflow';
import { withTempDir } from '../../temp-dir.js';
import { drain, startPausedAfter } from './helpers.js';

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
    for (let i = 0; i < expected.length; i++) {
      const position = first.positions[i] as FilePosition;
      offset += Buffer.byteLength(text[i] as string) + (i < text.length - 1 ? 1 : 0);
      assert.is(position.current?.offset, offset, `byte offset after record ${i}`);
      const rest = await drain(fileSource({ path, readSize: 3 }), position);
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
    // Restored after the first record of b.txt: a.txt is done, b.txt resumes at its second line.
    const position = all.positions[2] as FilePosition;
    assert.equal(position.done, [join(dir, 'a.txt')]);
    const rest = await drain(fileSource({ path: dir, glob: '**/*.txt' }), position);
    assert.equal(rest.records, ['b2', 'c1']);
  });
});

test('file source: pause stops emission and resume goes on from the same record', async () => {
  await withTempDir('fs-pause', async (dir) => {
    const path = join(dir, 'in.txt');
    await writeFile(path, Array.from({ length: 5000 }, (_, i) => `${i}`).join('\n'));
    const { reader, records, ended } = startPausedAfter(fileSource({ path, chunkSize: 100 }), 250);
    await new Promise((r) => setTimeout(r, 30));
    assert.is(records.length, 250, 'nothing emitted while paused');
    reader.resume();
    // The runtime resumes sources while it hands queued records to the sink: emitting right here would reorder them.
    assert.is(records.length, 250, 'nothing emitted from inside resume()');
    assert.is(await ended, 'completed');
    await reader.close();
    assert.equal(records.map(Number), Array.from({ length: 5000 }, (_, i) => i));
  });
});

test('file source: with monitorInterval a directory is watched for new files and the source does not end', async () => {
  await withTempDir('fs-monitor', async (dir) => {
    await writeFile(join(dir, '1.txt'), 'one\n');
    const reader = fileSource({ path: dir, monitorInterval: 10 }).createReader({ jobId: 't', taskId: 't', restoredPosition: undefined });
    const records: string[] = [];
    let completed = false;
    void reader.start({ next: (r) => records.push(r), error: (e) => assert.unreachable(String(e)), complete: () => (completed = true) });
    await new Promise((r) => setTimeout(r, 50));
    // Files appear whole, as they should: written elsewhere and moved in.
    await writeFile(join(dir, '.2.txt.tmp'), 'two\nthree\n');
    await rename(join(dir, '.2.txt.tmp'), join(dir, '2.txt'));
    await new Promise((r) => setTimeout(r, 80));
    await reader.close();
    assert.equal(records, ['one', 'two', 'three']);
    assert.not.ok(completed);
  });
});

test('file source: a file that shrank below, or was replaced after, the stored position fails the restore with FileChangedError', async () => {
  await withTempDir('fs-changed', async (dir) => {
    const path = join(dir, 'in.txt');
    await writeFile(path, 'aaaa\nbbbb\ncccc\n');
    const { positions } = await drain(fileSource({ path }));
    const afterSecond = positions[1] as FilePosition;
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
    const truncated = startPausedAfter(fileSource({ path, readSize: 64, chunkSize: 10 }), 20);
    await new Promise((r) => setTimeout(r, 20));
    await truncate(path, 50);
    truncated.reader.resume();
    const error = await truncated.ended;
    assert.instance(error, FileChangedError);
    assert.match(String(error), /shrank to 50 bytes while being read/);
    await truncated.reader.close();

    await writeFile(path, content);
    const deleted = startPausedAfter(fileSource({ path, readSize: 64, chunkSize: 10 }), 20);
    await new Promise((r) => setTimeout(r, 20));
    await unlink(path);
    deleted.reader.resume();
    assert.match(String(await deleted.ended), /disappeared while being read/);
    await deleted.reader.close();
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

test.run();
