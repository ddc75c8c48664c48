// The socket source against peers that close, send endless lines, or never
// answer, and a job using it that must let its process exit once stopped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { LineTooLongError, socketSource } from 'onceflow';
import type { Guarantee, Source } from 'onceflow';
import { startSource } from 'onceflow/testing';
import { closeServer, listen, runFaultJob, unresponsiveServer, within } from './socket-faults.js';
import { drain } from './helpers.js';

// Run the source until the record `last` arrives, or the source fails, or `within` ms pass.
async function readUntil(source: Source<string, Guarantee>, last: string, within = 15_000): Promise<{ records: string[]; error: unknown }> {
  let arrived: () => void = () => {};
  const done = new Promise<void>((resolve) => (arrived = resolve));
  const running = startSource<string>(source, { onRecord: (record) => record === last && arrived() });
  let timer: NodeJS.Timeout | undefined;
  const error = await Promise.race([
    done.then(() => undefined),
    running.ended.then((end) => (end === 'completed' ? new Error('completed') : end)),
    new Promise<unknown>((resolve) => (timer = setTimeout(() => resolve(new Error(`'${last}' did not arrive within ${within} ms; ${running.records.length} records did`)), within))),
  ]);
  clearTimeout(timer);
  await running.close();
  return { records: running.records, error };
}

for (const chunkSize of [16, 1024]) {
  test(`socket source (chunkSize ${chunkSize}): every complete line received before the peer closes normally is emitted, connection after connection`, async () => {
    const connections = 5;
    const perConnection = 5000;
    let made = 0;
    const { server, port } = await listen((socket: Socket) => {
      socket.on('error', () => {});
      const connection = made++;
      if (connection === connections) {
        socket.write('done\n');
        return;
      }
      const lines = Array.from({ length: perConnection }, (_, i) => `c${connection} l${i}\n`).join('');
      // One big write then a clean close: the reader gets the close while most lines still wait in its buffer.
      socket.end(lines);
    });
    const { records, error } = await readUntil(socketSource({ host: '127.0.0.1', port, chunkSize, reconnect: { initialDelay: 5, maxDelay: 5 } }), 'done');
    await closeServer(server);
    assert.is(error, undefined);
    const expected = Array.from({ length: connections }, (_, c) => Array.from({ length: perConnection }, (_, i) => `c${c} l${i}`)).flat();
    const missing = expected.length - (records.length - 1);
    assert.is(missing, 0, `${missing} lines received before a close were never emitted`);
    assert.equal(records, [...expected, 'done']);
  });
}

test('socket source: a line longer than maxLineLength fails with a LineTooLongError naming the peer and the offset in the connection', async () => {
  const { server, port } = await listen((socket) => {
    socket.on('error', () => {});
    // Twice the bound without a newline, and then nothing, the connection left open.
    socket.write('short\n');
    socket.write(Buffer.alloc(8 * 1024 * 1024, 0x78));
  });
  const { records, error } = await within(10_000, 'the source', drain(socketSource({ host: '127.0.0.1', port, maxLineLength: 4 * 1024 * 1024 })));
  await closeServer(server);
  assert.equal(records, ['short']);
  assert.instance(error, LineTooLongError);
  assert.is((error as LineTooLongError).path, `tcp://127.0.0.1:${port}`);
  assert.is((error as LineTooLongError).offset, 6);
  assert.match(String(error), `the line at byte 6 of tcp://127.0.0.1:${port} is longer than maxLineLength (4194304 bytes)`);
});

test('socket source: stopped while reading from a peer that keeps its connection open, the process exits', async () => {
  const { server, port } = await listen((socket) => {
    socket.on('error', () => {});
    const ticker = setInterval(() => socket.write('tick\n'), 5);
    socket.on('close', () => clearInterval(ticker));
  });
  const run = await runFaultJob({ connector: 'source', options: { host: '127.0.0.1', port }, checkpoints: { interval: 20 }, stopAfter: 300 });
  await closeServer(server);
  assert.equal(run.end, { outcome: 'stopped' }, run.stderr);
  assert.ok(run.exited, 'the process exits after stop()');
});

test('socket source: stopped while it waits to reconnect after the peer closed, the process exits', async () => {
  const { server, port } = await listen((socket) => socket.end('only line\n'));
  const run = await runFaultJob({ connector: 'source', options: { host: '127.0.0.1', port, reconnect: { initialDelay: 60_000, maxDelay: 60_000 } }, checkpoints: { interval: 20 }, stopAfter: 300 });
  await closeServer(server);
  assert.equal(run.end, { outcome: 'stopped' }, run.stderr);
  assert.ok(run.exited, 'the process exits after stop()');
});

test('socket source: stopped while a connection attempt hangs, the process exits', async () => {
  const unresponsive = await unresponsiveServer();
  try {
    const run = await runFaultJob({ connector: 'source', options: { host: '127.0.0.1', port: unresponsive.port, connectTimeout: 60_000 }, checkpoints: { interval: 20 }, stopAfter: 300 });
    assert.equal(run.end, { outcome: 'stopped' }, run.stderr);
    assert.ok(run.exited, 'the process exits after stop()');
  } finally {
    await unresponsive.close();
  }
});

test.run();
