// The X filtered-stream source against a local server of our own that speaks the v2 protocol
// (X itself cannot be reached from tests): rules, keep-alives, stalls, disconnects, 429s, bad lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSource } from 'onceflow/testing';
import { XMalformedLineError, XRequestError, XRulesError, xFilteredStreamSource, xReconnectDelay, xReconnectSettings } from 'onceflow/x';
import type { XFilteredStreamOptions, XPost } from 'onceflow/x';
import { startXServer, streaming } from './x-server.js';
import type { XServer } from './x-server.js';

// Base delays shortened so reconnects take milliseconds; the shape of each schedule is X's.
const fast = { networkStep: 5, networkMaxDelay: 40, httpInitialDelay: 10, httpMaxDelay: 80, rateLimitInitialDelay: 20, rateLimitMaxDelay: 2000 };

function source(server: XServer, options: Partial<XFilteredStreamOptions> = {}) {
  return xFilteredStreamSource({ bearerToken: server.token, baseUrl: server.url, stallTimeout: 300, reconnect: fast, ...options });
}

async function waitFor(condition: () => boolean, what: string, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const ids = (records: readonly XPost[]): string[] => records.map((r) => r.data.id);

test("the reconnect schedules are X's: linear +250 ms to 16 s, doubling from 5 s to 320 s, and from a minute for 429", async () => {
  const defaults = xReconnectSettings();
  assert.equal([1, 2, 3, 64, 65, 100].map((n) => xReconnectDelay(defaults, 'network', n)), [250, 500, 750, 16_000, 16_000, 16_000]);
  assert.equal([1, 2, 3, 7, 8].map((n) => xReconnectDelay(defaults, 'http', n)), [5_000, 10_000, 20_000, 320_000, 320_000]);
  assert.equal([1, 2, 3].map((n) => xReconnectDelay(defaults, 'rate-limit', n)), [60_000, 120_000, 240_000]);
});

test('the declared rules are synced at start: stale ones deleted, missing ones added, kept ones untouched', async () => {
  const server = await startXServer([
    { id: '1', value: 'cats', tag: 'pets' },
    { id: '2', value: 'old rule' },
  ]);
  server.onStream = (response) => streaming(response).write('\r\n');
  const running = startSource(source(server, { rules: [{ value: 'cats', tag: 'pets' }, { value: 'dogs has:images', tag: 'pets' }] }));
  try {
    await waitFor(() => server.connections.length === 1, 'the stream connection');
    assert.equal(
      server.rules.map((r) => [r.value, r.tag]),
      [
        ['cats', 'pets'],
        ['dogs has:images', 'pets'],
      ],
    );
    assert.equal(
      server.ruleRequests.map((r) => r.method),
      ['GET', 'POST', 'POST'],
    );
    assert.equal(server.ruleRequests[1]?.body, { delete: { ids: ['2'] } });
  } finally {
    await running.close();
    await server.close();
  }
});

test('a rule X refuses fails the source with an XRulesError naming the rule', async () => {
  const server = await startXServer();
  const running = startSource(source(server, { rules: [{ value: 'INVALID (' }] }));
  const error = await running.ended;
  await running.close();
  await server.close();
  assert.instance(error, XRulesError);
  assert.match((error as Error).message, 'INVALID (');
  assert.is(server.connections.length, 0, 'no stream connection before the rules are in place');
});

test('posts arrive in order; keep-alive newlines are no records', async () => {
  const server = await startXServer();
  server.onStream = (response) => {
    streaming(response);
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 0) response.write('\r\n');
      server.post(response, String(i));
    }
  };
  const running = startSource(source(server));
  try {
    await waitFor(() => running.records.length >= 50, '50 posts');
    assert.equal(ids(running.records), Array.from({ length: 50 }, (_, i) => String(i)));
    assert.is(running.records[0]?.matching_rules?.[0]?.tag, 't');
  } finally {
    await running.close();
    await server.close();
  }
});

test('keep-alives hold a quiet connection open; a silence past the stall timeout reconnects', async () => {
  const server = await startXServer();
  const timers: NodeJS.Timeout[] = [];
  server.onStream = (response, attempt) => {
    streaming(response);
    server.post(response, `a${attempt}`);
    // The first connection sends keep-alives for longer than the stall timeout, then goes silent.
    if (attempt === 1) {
      for (let t = 100; t <= 600; t += 100) timers.push(setTimeout(() => response.write('\r\n'), t));
    }
  };
  const running = startSource(source(server, { stallTimeout: 250 }));
  try {
    await waitFor(() => server.connections.length >= 2, 'a reconnect after the stall');
    const [first, second] = server.connections as [number, number];
    assert.ok(second - first >= 600 + 250, `kept open through the keep-alives (${second - first} ms)`);
    await waitFor(() => ids(running.records).includes('a2'), 'the post of the second connection');
  } finally {
    timers.forEach(clearTimeout);
    await running.close();
    await server.close();
  }
});

test('a dropped connection is opened again and posts go on', async () => {
  const server = await startXServer();
  server.onStream = (response, attempt) => {
    streaming(response);
    server.post(response, `${attempt}-1`);
    server.post(response, `${attempt}-2`);
    if (attempt < 3) setTimeout(() => response.socket?.destroy(), 20);
  };
  const running = startSource(source(server));
  try {
    await waitFor(() => running.records.length >= 6, 'posts of three connections');
    assert.equal(ids(running.records), ['1-1', '1-2', '2-1', '2-2', '3-1', '3-2']);
  } finally {
    await running.close();
    await server.close();
  }
});

test('a 429 waits for x-rate-limit-reset (and at least the rate-limit backoff), then connects again', async () => {
  const server = await startXServer();
  let resetAt = 0;
  server.onStream = (response, attempt) => {
    if (attempt === 1) {
      resetAt = Date.now() + 400;
      response
        .writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-limit': '50', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(resetAt / 1000) })
        .end(JSON.stringify({ title: 'Too Many Requests', status: 429 }));
      return;
    }
    streaming(response);
    server.post(response, 'after-429');
  };
  const running = startSource(source(server));
  try {
    await waitFor(() => running.records.length >= 1, 'the post after the 429');
    assert.ok((server.connections[1] as number) >= resetAt - 5, 'not before the rate-limit window reset');
  } finally {
    await running.close();
    await server.close();
  }
});

test('5xx answers back off exponentially and connect again', async () => {
  const server = await startXServer();
  server.onStream = (response, attempt) => {
    if (attempt <= 3) {
      response.writeHead(503).end('over capacity');
      return;
    }
    streaming(response);
    server.post(response, 'up');
  };
  const running = startSource(source(server));
  try {
    await waitFor(() => running.records.length >= 1, 'the post after the 503s');
    const [a, b, c, d] = server.connections as [number, number, number, number];
    // 10, 20, 40 ms: each wait at least the one before it doubled (timers never fire early).
    assert.ok(b - a >= 10 && c - b >= 20 && d - c >= 40, `waits ${b - a}, ${c - b}, ${d - c} ms`);
  } finally {
    await running.close();
    await server.close();
  }
});

test('a bad bearer token fails at once with an XRequestError (401), without reconnecting', async () => {
  const server = await startXServer();
  const running = startSource(xFilteredStreamSource({ bearerToken: 'wrong', baseUrl: server.url, reconnect: fast }));
  const error = await running.ended;
  await running.close();
  await server.close();
  assert.instance(error, XRequestError);
  assert.is((error as XRequestError).status, 401);
  assert.match((error as Error).message, 'bearer token');
  assert.not.match((error as Error).message, 'wrong', 'the token is not in the message');
});

test('a line that is not JSON fails the source naming the line; with onMalformedLine skip, the posts around it arrive', async () => {
  const server = await startXServer();
  server.onStream = (response) => {
    streaming(response);
    server.post(response, '1');
    response.write('{"data": {"id": "broken\r\n');
    server.post(response, '2');
  };
  const failing = startSource(source(server));
  const error = await failing.ended;
  await failing.close();
  assert.instance(error, XMalformedLineError);
  assert.match((error as Error).message, 'broken');
  const skipping = startSource(source(server, { onMalformedLine: 'skip' }));
  try {
    await waitFor(() => skipping.records.length >= 2, 'the posts around the bad line');
    assert.equal(ids(skipping.records), ['1', '2']);
  } finally {
    await skipping.close();
    await server.close();
  }
});

test('a message without a post (an operational disconnect notice) is no record', async () => {
  const server = await startXServer();
  server.onStream = (response, attempt) => {
    streaming(response);
    if (attempt === 1) {
      response.end(`${JSON.stringify({ errors: [{ title: 'operational-disconnect', disconnect_type: 'UpstreamOperationalDisconnect' }] })}\r\n`);
      return;
    }
    server.post(response, 'after');
  };
  const running = startSource(source(server));
  try {
    await waitFor(() => running.records.length >= 1, 'the post after the disconnect');
    assert.equal(ids(running.records), ['after']);
  } finally {
    await running.close();
    await server.close();
  }
});

test.run();
