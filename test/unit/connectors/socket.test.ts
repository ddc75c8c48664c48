import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectionSource, ConfigurationError, memoryStore, pipeline, SocketConnectError, socketSink, socketSource } from 'onceflow';
import type { LogFields } from 'onceflow';
import { withTempDir } from '../../temp-dir.js';
import { drain } from './helpers.js';
import { runWithKills } from '../../kill-restart.js';

async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const closeServer = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

// Collects the lines of one connection and, like a server speaking the 'line-count' protocol, writes back how many it has taken.
function acknowledgeLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  let count = 0;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      onLine(line);
      count++;
    }
    if (!socket.destroyed) socket.write(`${count}\n`);
  });
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('socket source: reads lines split anywhere across TCP writes, multi-byte UTF-8 included, and with endOnClose ends after the last partial line', async () => {
  const payload = Buffer.from('héllo\nwörld 🎉\n\nlast without newline', 'utf8');
  const { server, port } = await listen(async (socket) => {
    for (let i = 0; i < payload.length; i += 3) {
      socket.write(payload.subarray(i, i + 3));
      await sleep(1);
    }
    socket.end();
  });
  const { records, completed, checkpoints } = await drain(socketSource({ host: '127.0.0.1', port, endOnClose: true }));
  await closeServer(server);
  assert.ok(completed);
  assert.equal(records, ['héllo', 'wörld 🎉', '', 'last without newline']);
  assert.equal(checkpoints.at(-1)?.splits[0]?.position, { linesReceived: 4 });
});

test('socket source: reconnects with backoff after the server drops it; what is sent while disconnected is lost', async () => {
  let connections = 0;
  const { server, port } = await listen((socket) => {
    connections++;
    if (connections === 1) {
      socket.write('a1\na2\n');
      // A reset, not a clean close, which endOnClose would take for the end of the stream.
      setTimeout(() => socket.resetAndDestroy(), 20);
    } else {
      socket.end('b1\nb2\n');
    }
  });
  const { records, completed } = await drain(socketSource({ host: '127.0.0.1', port, endOnClose: true, reconnect: { initialDelay: 10 } }));
  await closeServer(server);
  assert.ok(completed);
  assert.is(connections, 2);
  assert.equal(records, ['a1', 'a2', 'b1', 'b2']);
});

test('socket source: nothing listening fails after maxAttempts with a retriable SocketConnectError', async () => {
  const { server, port } = await listen(() => {});
  await closeServer(server);
  const { error } = await drain(socketSource({ host: '127.0.0.1', port, reconnect: { initialDelay: 1, maxDelay: 5, maxAttempts: 3 } }));
  assert.instance(error, SocketConnectError);
  assert.is((error as SocketConnectError).retriable, true);
  assert.is((error as SocketConnectError).attempts, 3);
  assert.match(String(error), new RegExp(`127.0.0.1:${port}.*ECONNREFUSED`));
});

test('socket sink with acknowledgements: a connection dropped by the server is made again and every line not yet counted is sent again', async () => {
  const received: string[] = [];
  let connections = 0;
  const { server, port } = await listen((socket) => {
    connections++;
    const first = connections === 1;
    acknowledgeLines(socket, (line) => {
      received.push(line);
      if (first && received.length === 3000) socket.destroy();
    });
  });
  const records = Array.from({ length: 10_000 }, (_, i) => `r${i}`);
  const sink = socketSink<string>({ host: '127.0.0.1', port, reconnect: { initialDelay: 5 }, acknowledgements: 'line-count' });
  assert.is(sink.guarantee, 'at-least-once');
  const logged: string[] = [];
  const info = (fields: LogFields | string, message?: string) => typeof fields === 'object' && logged.push(`${message} ${fields.jobId} ${fields.peer}`);
  await pipeline({ id: 'socket-sink', checkpoints: { interval: 5, store: memoryStore() }, logger: { debug() {}, info, warn() {}, error() {} } })
    .from(collectionSource(records, { chunkSize: 100 }))
    .to(sink)
    .run();
  await closeServer(server);
  assert.ok(connections >= 2, 'reconnected');
  assert.ok(logged.includes(`reconnected socket-sink 127.0.0.1:${port}`), `the reconnect is logged with its job and peer:\n${logged.join('\n')}`);
  const seen = new Set(received);
  assert.equal(records.filter((r) => !seen.has(r)), [], 'every record arrived at least once');
});

test('socket sink without acknowledgements is typed and reported at-most-once, and still delivers when nothing fails', async () => {
  const received: string[] = [];
  const { server, port } = await listen((socket) => acknowledgeLines(socket, (line) => received.push(line)));
  const sink = socketSink<string>({ host: '127.0.0.1', port });
  assert.is(sink.guarantee, 'at-most-once');
  await pipeline({ id: 'socket-plain', checkpoints: { interval: 5, store: memoryStore() } })
    .from(collectionSource(['a', 'b', 'c']))
    .to(sink)
    .run();
  await sleep(20);
  await closeServer(server);
  assert.equal(received, ['a', 'b', 'c']);
});

test('socket source and sink: bad options throw ConfigurationError naming them', () => {
  assert.throws(() => socketSource({ host: '', port: 1 }), (e: unknown) => e instanceof ConfigurationError && /host/.test(String(e)));
  assert.throws(() => socketSource({ host: 'x', port: 70_000 }), /port/);
  assert.throws(() => socketSink({ host: 'x', port: 1, reconnect: { maxAttempts: -1 } }), /reconnect.maxAttempts/);
  assert.throws(() => socketSink({ host: 'x', port: 1, reconnect: { initialDelay: 10, maxDelay: 5 } }), /reconnect.maxDelay/);
  assert.throws(() => socketSink({ host: 'x', port: 1, acknowledgements: 'all' as 'none' }), /acknowledgements/);
});

test('socket source, SIGKILLed twice: no line twice, and every line lost was sent while the job was down or on a connection that died with it', async () => {
  await withTempDir('socket-source-kill', async (dir) => {
    const total = 6000;
    let next = 0;
    const whileDown: number[] = [];
    // Lines written to each connection, to know which ones a kill may have taken with it.
    const perConnection: number[][] = [];
    let current: { socket: Socket; sent: number[] } | undefined;
    let ticker: NodeJS.Timeout | undefined;
    // Lines sent while no job is connected in the current outage: capped, so the input outlasts the kills.
    let downInOutage = 0;
    const tick = (): void => {
      if (!current && downInOutage >= 300) return;
      for (let i = 0; i < 10 && next < total; i++, next++) {
        if (current) {
          current.socket.write(`${next}\n`);
          current.sent.push(next);
        } else {
          whileDown.push(next);
          downInOutage++;
        }
      }
      if (next === total && current) {
        clearInterval(ticker);
        current.socket.end();
      }
    };
    const { server, port } = await listen((socket) => {
      socket.on('error', () => {});
      const connection = { socket, sent: [] as number[] };
      perConnection.push(connection.sent);
      current = connection;
      downInOutage = 0;
      socket.on('close', () => {
        if (current === connection) current = undefined;
      });
      // Lines flow from the first connection on, whether a job is connected or not.
      ticker ??= setInterval(tick, 2);
      if (next === total) socket.end();
    });
    const out = join(dir, 'out.txt');
    const { kills } = await runWithKills(new URL('./fixtures/socket-job.ts', import.meta.url), ['source', String(port), out, join(dir, 'checkpoints')], { kills: 2 });
    await closeServer(server);
    assert.is(kills, 2);
    const lines = (await readFile(out, 'utf8')).split('\n').filter(Boolean).map(Number);
    assert.equal(new Set(lines).size, lines.length, 'a socket source never replays, so no line is read twice');
    const got = new Set(lines);
    const killed = new Set(perConnection.slice(0, -1).flat());
    const unexplained = Array.from({ length: total }, (_, i) => i).filter((n) => !got.has(n) && !whileDown.includes(n) && !killed.has(n));
    assert.equal(unexplained, [], 'every lost line is accounted for');
    assert.ok(whileDown.length > 0, 'lines were sent while the job was down, and are lost');
    const last = perConnection.at(-1) ?? [];
    assert.equal(last.filter((n) => !got.has(n)), [], 'nothing sent on the connection that ended cleanly is lost');
  });
});

test('socket sink with acknowledgements fed by the file source, SIGKILLed twice: the server receives every record at least once', async () => {
  await withTempDir('socket-sink-kill', async (dir) => {
    const records = Array.from({ length: 60_000 }, (_, i) => `record ${i}`);
    const input = join(dir, 'in.txt');
    await writeFile(input, records.join('\n'));
    const received = new Set<string>();
    const { server, port } = await listen((socket) => acknowledgeLines(socket, (line) => received.add(line)));
    const { kills } = await runWithKills(new URL('./fixtures/socket-job.ts', import.meta.url), ['sink', String(port), input, join(dir, 'checkpoints')], { kills: 2 });
    await sleep(50);
    await closeServer(server);
    assert.is(kills, 2);
    assert.equal(records.filter((r) => !received.has(r)), [], 'no record lost');
  });
});

test.run();
