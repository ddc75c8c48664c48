// The line-count socket sink against servers that never acknowledge, or
// acknowledge wrongly. Each job runs in a child process, and each test checks
// that the process exits once the job has ended.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { closeServer, listen, onLines, runFaultJob } from './socket-faults.js';

// A server that reads every line and never answers.
const silent = (socket: Socket): void => onLines(socket, () => {});

test('socket sink: stopped while a barrier waits for acknowledgements that never come, the job stops and the process exits', async () => {
  const { server, port } = await listen(silent);
  const run = await runFaultJob({ connector: 'sink', options: { host: '127.0.0.1', port }, checkpoints: { interval: 20 }, stopAfter: 500 });
  await closeServer(server);
  assert.equal(run.end, { outcome: 'stopped' }, run.stderr);
  assert.ok(run.exited, 'the process exits after stop()');
});

test('socket sink: when checkpoint timeouts fail the job while a barrier waits for acknowledgements, the process exits', async () => {
  const { server, port } = await listen(silent);
  const run = await runFaultJob({ connector: 'sink', options: { host: '127.0.0.1', port }, checkpoints: { interval: 20, timeout: 100, tolerableFailures: 1 } });
  await closeServer(server);
  assert.is(run.end?.['failed'], 'JobFailedError', run.stderr);
  assert.is(run.end?.['cause'], 'CheckpointFailedError');
  assert.ok(run.exited, 'the process exits after the job failed');
});

test('socket sink: after checkpoint timeouts fail an attempt waiting for acknowledgements, the restart comes, and a stop during it lets the process exit', async () => {
  let connections = 0;
  const { server, port } = await listen((socket) => {
    connections++;
    silent(socket);
  });
  const config = { connector: 'sink', options: { host: '127.0.0.1', port }, checkpoints: { interval: 20, timeout: 100, tolerableFailures: 0 }, restarts: 100, stopAfter: 'restarting' };
  const run = await runFaultJob(config);
  await closeServer(server);
  assert.ok(run.events.some((e) => e['event'] === 'restarting'), 'the job restarted');
  assert.equal(run.end, { outcome: 'stopped' }, run.stderr);
  assert.ok(connections <= 3, `${connections} connections`);
  assert.ok(run.exited, 'the process exits after stop()');
});

test('socket sink: a wait for acknowledgements past ackTimeout fails with a SocketAcknowledgementTimeoutError naming the peer and the counts', async () => {
  const { server, port } = await listen(silent);
  const run = await runFaultJob({ connector: 'sink', options: { host: '127.0.0.1', port, ackTimeout: 300 }, records: 100, checkpoints: { interval: 20 } });
  await closeServer(server);
  assert.is(run.end?.['cause'], 'SocketAcknowledgementTimeoutError', run.stderr);
  assert.is(run.end?.['retriable'], true);
  assert.match(String(run.end?.['message']), new RegExp(`127\\.0\\.0\\.1:${port} acknowledged 0 of 100 lines within ackTimeout \\(300 ms\\)`));
  assert.ok(run.exited, 'the process exits after the job failed');
});

// Each reply a server gives to the lines it has counted so far on a connection.
const violations: { name: string; reply: (counted: number) => string; message: RegExp }[] = [
  { name: 'a count beyond what was sent', reply: (counted) => `${counted + 1000}`, message: /acknowledged \d+ lines but \d+ were sent/ },
  { name: 'a count going backwards', reply: (counted) => `${counted}\n${counted - 1}`, message: /acknowledged \d+ lines after \d+/ },
  { name: 'garbage', reply: () => 'OK thanks', message: /sent "OK thanks" where a line count was expected/ },
];

for (const violation of violations) {
  test(`socket sink: ${violation.name} is a named SocketProtocolError, reconnects back off although each connect succeeds, and the job fails past the retry budget`, async () => {
    const connectedAt: number[] = [];
    let linesReceived = 0;
    const { server, port } = await listen((socket) => {
      connectedAt.push(performance.now());
      let counted = 0;
      onLines(socket, (lines) => {
        counted += lines.length;
        linesReceived += lines.length;
        if (!socket.destroyed) socket.write(`${violation.reply(counted)}\n`);
      });
    });
    const reconnect = { initialDelay: 100, maxDelay: 100, maxAttempts: 3 };
    const run = await runFaultJob({ connector: 'sink', options: { host: '127.0.0.1', port, reconnect }, records: 500, checkpoints: { interval: 20 } });
    await closeServer(server);
    assert.is(run.end?.['cause'], 'SocketProtocolError', run.stderr);
    assert.is(run.end?.['retriable'], false);
    assert.match(String(run.end?.['message']), violation.message);
    assert.match(String(run.end?.['message']), `127.0.0.1:${port}`);
    assert.ok(connectedAt.length <= reconnect.maxAttempts + 1, `${connectedAt.length} connections for ${reconnect.maxAttempts} reconnect attempts`);
    for (let i = 1; i < connectedAt.length; i++) {
      const gap = (connectedAt[i] as number) - (connectedAt[i - 1] as number);
      assert.ok(gap >= reconnect.initialDelay * 0.9, `reconnect ${i} came ${gap.toFixed(0)} ms after the one before`);
    }
    assert.ok(linesReceived <= 500 * (reconnect.maxAttempts + 1), `${linesReceived} lines sent for 500 records`);
    assert.ok(run.exited, 'the process exits after the job failed');
  });
}

test.run();
