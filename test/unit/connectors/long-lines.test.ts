import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, fileSource, LineTooLongError } from 'onceflow';
import { LineSplitter } from '../../../src/connectors/shared/line-splitter.js';
import { withTempDir } from '../../temp-dir.js';
import { drain } from './helpers.js';

const MiB = 1024 * 1024;

// Bytes Buffer.concat copies while `body` runs: the splitter's only way of joining chunks.
function bytesCopiedBy(body: () => void): number {
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = (list: readonly Uint8Array[], totalLength?: number) => {
    const joined = concat(list, totalLength);
    copied += joined.length;
    return joined;
  };
  try {
    body();
  } finally {
    Buffer.concat = concat;
  }
  return copied;
}

test('line splitter: any chunking gives the same lines as splitting the whole input', () => {
  const input = Buffer.from('a\n\nbc\nd€f\n🎉 long-ish line here\nlast', 'utf8');
  for (const size of [1, 2, 3, 5, 8, input.length]) {
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for (let i = 0; i < input.length; i += size) {
      splitter.push(input.subarray(i, i + size));
      for (let line = splitter.next(); line; line = splitter.next()) lines.push(line.toString('utf8'));
    }
    const last = splitter.rest();
    if (last) lines.push(last.toString('utf8'));
    assert.equal(lines, ['a', '', 'bc', 'd€f', '🎉 long-ish line here', 'last'], `chunks of ${size}`);
  }
});

test('line splitter: a 32 MiB line in 64 KiB chunks is copied once, not once per chunk', () => {
  const chunkSize = 64 * 1024;
  const length = 32 * MiB;
  const splitter = new LineSplitter(64 * MiB);
  let line: Buffer | undefined;
  const copied = bytesCopiedBy(() => {
    for (let i = 0; i < length / chunkSize; i++) {
      splitter.push(Buffer.alloc(chunkSize, i % 26 + 0x61));
      assert.is(splitter.next(), undefined);
    }
    splitter.push(Buffer.from('\nnext'));
    line = splitter.next();
  });
  assert.is(line?.length, length);
  assert.is(line?.[0], 0x61);
  assert.is(line?.[length - 1], ((length / chunkSize - 1) % 26) + 0x61);
  // Re-joining the pending line on each chunk copies ~length²/(2·chunkSize) bytes, here about 8 GiB.
  assert.ok(copied <= length + chunkSize, `copied ${copied} bytes for a ${length}-byte line`);
  assert.is(splitter.next(), undefined);
  assert.equal(splitter.rest()?.toString(), 'next');
});

test('line splitter: past maxLineLength it throws a LineTooLongError, holding at most the bound plus one chunk', () => {
  const max = 1000;
  const chunk = 64;
  const splitter = new LineSplitter(max);
  splitter.push(Buffer.from(`${'x'.repeat(max)}\nshort\n`));
  assert.is(splitter.next()?.length, max, 'a line of exactly maxLineLength bytes is fine');
  assert.is(splitter.next()?.toString(), 'short');
  let thrown: unknown;
  for (let i = 0; i < 100 && thrown === undefined; i++) {
    splitter.push(Buffer.alloc(chunk, 0x79));
    try {
      splitter.next();
    } catch (error) {
      thrown = error;
    }
  }
  assert.instance(thrown, LineTooLongError);
  assert.is((thrown as LineTooLongError).maxLineLength, max);
  assert.ok(splitter.buffered <= max + chunk, `held ${splitter.buffered} bytes`);
  // A line whose newline is in the same chunk is refused the same way.
  const whole = new LineSplitter(10);
  whole.push(Buffer.from('ok\n12345678901\n'));
  assert.is(whole.next()?.toString(), 'ok');
  assert.throws(() => whole.next(), (e: unknown) => e instanceof LineTooLongError);
  const last = new LineSplitter(10);
  last.push(Buffer.from('12345678901'));
  assert.throws(() => last.rest(), (e: unknown) => e instanceof LineTooLongError);
});

test('file source: a line longer than maxLineLength fails with a LineTooLongError naming the file and the line\'s byte offset', async () => {
  await withTempDir('long-line', async (dir) => {
    const path = join(dir, 'in.txt');
    const file = await open(path, 'w');
    await file.write('first\nsecond\n');
    // 20 MiB without a newline: past the 16 MiB default.
    const block = Buffer.alloc(MiB, 0x7a);
    for (let i = 0; i < 20; i++) await file.write(block);
    await file.write('\nafter\n');
    await file.close();
    const { records, error } = await drain(fileSource({ path }));
    // Quoted short: a failure must not print a 20 MiB record.
    assert.equal(records.map((r) => r.slice(0, 20)), ['first', 'second'], 'the lines before it are read');
    assert.instance(error, LineTooLongError);
    const tooLong = error as LineTooLongError;
    assert.is(tooLong.path, path);
    assert.is(tooLong.offset, 13);
    assert.is(tooLong.maxLineLength, 16 * MiB);
    assert.is(tooLong.retriable, false);
    assert.match(tooLong.message, `the line at byte 13 of ${path} is longer than maxLineLength (16777216 bytes)`);
    const small = await drain(fileSource({ path, maxLineLength: 5, readSize: 3 }));
    assert.equal(small.records.map((r) => r.slice(0, 20)), ['first']);
    assert.is((small.error as LineTooLongError).offset, 6);
    const raised = await drain(fileSource({ path, maxLineLength: 21 * MiB }));
    assert.equal(raised.records.length, 4, 'a raised bound reads the long line');
    assert.throws(() => fileSource({ path, maxLineLength: 0 }), (e: unknown) => e instanceof ConfigurationError && /maxLineLength/.test(String(e)));
  });
});

test.run();
