// Connecting: an attempt that hangs is bounded by connectTimeout, and a host
// name that does not resolve is not retried unless the user asks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigurationError, SocketConnectError, socketSink, socketSource } from 'onceflow';
import { unresponsiveServer, within } from './socket-faults.js';
import { drain } from './helpers.js';

const writerContext = { jobId: 'test', taskId: 'sink-socket', restoredCheckpointId: 0, restoredState: undefined };

test('socket source and sink: an attempt to a peer that never answers ends after connectTimeout, and past the attempts the error says so', async () => {
  const unresponsive = await unresponsiveServer();
  try {
    const options = { host: '127.0.0.1', port: unresponsive.port, connectTimeout: 200, reconnect: { initialDelay: 10, maxDelay: 10, maxAttempts: 2 } };
    const { error } = await within(10_000, 'the source', drain(socketSource(options)));
    assert.instance(error, SocketConnectError);
    assert.is((error as SocketConnectError).retriable, true);
    assert.is((error as SocketConnectError).attempts, 2);
    assert.match(String(error), `cannot connect to 127.0.0.1:${unresponsive.port} after 2 attempt(s): no connection within connectTimeout (200 ms)`);
    const failed = await within(10_000, 'the sink', Promise.resolve(socketSink<string>(options).createWriter(writerContext)).then(() => undefined, (e: unknown) => e));
    assert.instance(failed, SocketConnectError);
    assert.match(String(failed), 'connectTimeout (200 ms)');
  } finally {
    await unresponsive.close();
  }
});

test('socket source and sink: a host name that does not resolve fails at once, not retriable, unless reconnect.retryUnknownHost', async () => {
  const host = 'no-such-host.invalid';
  const reconnect = { initialDelay: 1, maxDelay: 1, maxAttempts: 3 };
  const { error } = await within(10_000, 'the source', drain(socketSource({ host, port: 9, reconnect })));
  assert.instance(error, SocketConnectError);
  assert.is((error as SocketConnectError).retriable, false);
  assert.is((error as SocketConnectError).attempts, 1);
  assert.match(String(error), /ENOTFOUND.*reconnect\.retryUnknownHost/);
  const failed = await within(10_000, 'the sink', Promise.resolve(socketSink<string>({ host, port: 9, reconnect }).createWriter(writerContext)).then(() => undefined, (e: unknown) => e));
  assert.instance(failed, SocketConnectError);
  assert.is((failed as SocketConnectError).retriable, false);
  const retried = await within(10_000, 'the source', drain(socketSource({ host, port: 9, reconnect: { ...reconnect, retryUnknownHost: true } })));
  assert.instance(retried.error, SocketConnectError);
  assert.is((retried.error as SocketConnectError).retriable, true);
  assert.is((retried.error as SocketConnectError).attempts, 3);
});

test('socket source and sink: connectTimeout, ackTimeout, maxLineLength and retryUnknownHost are checked', () => {
  const bad = (make: () => unknown, option: RegExp): void => assert.throws(make, (e: unknown) => e instanceof ConfigurationError && option.test(String(e)));
  bad(() => socketSource({ host: 'x', port: 1, connectTimeout: 0 }), /socketSource connectTimeout/);
  bad(() => socketSink({ host: 'x', port: 1, connectTimeout: -1 }), /socketSink connectTimeout/);
  bad(() => socketSink({ host: 'x', port: 1, acknowledgements: 'line-count', ackTimeout: 0 }), /socketSink ackTimeout/);
  bad(() => socketSource({ host: 'x', port: 1, maxLineLength: 1.5 }), /socketSource maxLineLength/);
  bad(() => socketSource({ host: 'x', port: 1, reconnect: { retryUnknownHost: 'yes' as unknown as boolean } }), /reconnect\.retryUnknownHost/);
});

test.run();
