// The Kinesis connectors under faults and bad input, against kinesalite. Faults kinesalite
// never produces (throttling, expired iterators, entries a PutRecords marks failed, refused
// credentials: kinesalite checks none) are injected into the client's middleware; everything
// else is the real server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KinesisClient, PutRecordsInput, PutRecordsOutput } from '@aws-sdk/client-kinesis';
import { BatchWriteError, collectionSource, JobFailedError, map, memoryStore, pipeline } from 'onceflow';
import type { Logger } from 'onceflow';
import { KinesisAccessError, KinesisStreamNotFoundError, kinesisSink, kinesisSource } from 'onceflow/kinesis';
import type { KinesisRecord } from 'onceflow/kinesis';
import { memorySink, startSource } from 'onceflow/testing';
import { kinesisClient } from '../../../services/kinesis.js';
import { requireServer, uniqueName } from '../env.js';
import { createStream, deleteStream, putLines, readAll, shards, splitShard } from './streams.js';

const endpoint = requireServer('kinesis');
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} (injected)`), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

/** Throw `error()` instead of sending the first `count` commands named `command`. */
function failFirst(client: KinesisClient, command: string, errors: (() => Error)[]): void {
  const queue = [...errors];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && queue.length > 0) throw (queue.shift() as () => Error)();
      return next(args);
    },
    { step: 'initialize', name: `fail-${command}` },
  );
}

async function withStream(shards: number, body: (client: KinesisClient, stream: string) => Promise<void>): Promise<void> {
  const client = kinesisClient(endpoint);
  const stream = uniqueName('onceflow-faults');
  await createStream(client, stream, shards);
  try {
    await body(client, stream);
  } finally {
    await deleteStream(client, stream);
    client.destroy();
  }
}

async function waitFor(condition: () => boolean, what: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('throttled reads and iterator requests, and an expired iterator, are backed off and renewed: every record once, in order', async () => {
  await withStream(1, async (client, stream) => {
    const lines = Array.from({ length: 300 }, (_, i) => `line-${i}`);
    await putLines(client, stream, lines.slice(0, 150), undefined, () => 'k');
    const reader = kinesisClient(endpoint);
    failFirst(reader, 'GetRecordsCommand', [
      () => awsError('ProvisionedThroughputExceededException'),
      () => awsError('ProvisionedThroughputExceededException'),
      () => awsError('ProvisionedThroughputExceededException'),
      () => awsError('ExpiredIteratorException'),
      () => awsError('LimitExceededException'),
    ]);
    // GetShardIterator has its own rate limit (5 a second a shard): throttled there too, more times than retry.maxAttempts.
    failFirst(reader, 'GetShardIteratorCommand', [
      () => awsError('LimitExceededException'),
      () => awsError('LimitExceededException'),
      () => awsError('LimitExceededException'),
    ]);
    // Few records a read, so the faults land between reads of the same shard.
    const running = startSource(kinesisSource({ client: reader, streamName: stream, pollInterval: 5, maxRecordsPerRead: 40, retry: { initialDelay: 5, maxDelay: 20, maxAttempts: 2 } }));
    try {
      await waitFor(() => running.records.length >= 150, 'the first 150 records');
      await putLines(client, stream, lines.slice(150), undefined, () => 'k');
      await waitFor(() => running.records.length >= 300, 'every record');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(
        running.records.map((r) => Buffer.from(r.data).toString()),
        lines,
      );
      assert.ok(running.records.every((r) => typeof r.approximateArrivalTimestamp === 'number' && r.approximateArrivalTimestamp > 0), 'each record carries its arrival time');
    } finally {
      await running.close();
      reader.destroy();
    }
  });
});

test('a shard closed by a reshard is followed by its children at once, not a discovery interval later, parent records first', async () => {
  await withStream(1, async (client, stream) => {
    await putLines(client, stream, ['p-0', 'p-1', 'p-2'], undefined, () => 'k');
    const running = startSource(kinesisSource({ client, streamName: stream, discoveryInterval: 600_000, pollInterval: 5 }));
    try {
      await waitFor(() => running.records.length >= 3, "the parent's records");
      const [parent] = await shards(client, stream);
      const [low, high] = await splitShard(client, stream, parent!);
      await putLines(client, stream, ['c-0', 'c-1'], low);
      await putLines(client, stream, ['c-2'], high);
      await waitFor(() => running.records.length >= 6, "the children's records");
      const texts = running.records.map((r) => Buffer.from(r.data).toString());
      assert.equal(texts.slice(0, 3), ['p-0', 'p-1', 'p-2']);
      assert.equal([...texts.slice(3)].sort(), ['c-0', 'c-1', 'c-2']);
    } finally {
      await running.close();
    }
  });
});

test("each shard's MillisBehindLatest is its lag in the job's split metrics", async () => {
  await withStream(2, async (client, stream) => {
    await putLines(client, stream, ['a', 'b', 'c', 'd']);
    const sink = memorySink<string>();
    let seen = 0;
    const handle = pipeline({ id: uniqueName('kinesis-lag'), checkpoints: { interval: 20, store: memoryStore() }, logger: silent, signals: false })
      .from(kinesisSource({ client, streamName: stream, pollInterval: 5 }))
      .pipe(map((record: KinesisRecord) => (seen++, Buffer.from(record.data).toString())))
      .to(sink)
      .start();
    try {
      await waitFor(() => seen >= 4 && handle.metrics().splits.length === 2 && handle.metrics().splits.every((split) => split.lag !== undefined), 'both shards reported with a lag');
      // kinesalite says 0 for an open shard that was read: the figure is Kinesis's own, passed on.
      assert.equal(
        handle.metrics().splits.map((split) => split.lag),
        [0, 0],
      );
    } finally {
      await handle.stop();
    }
  });
});

test('a source over a missing stream fails with a KinesisStreamNotFoundError naming the stream', async () => {
  const client = kinesisClient(endpoint);
  const running = startSource(kinesisSource({ client, streamName: 'onceflow-no-such-stream' }));
  const error = await running.ended;
  await running.close();
  client.destroy();
  assert.instance(error, KinesisStreamNotFoundError);
  assert.match((error as Error).message, 'onceflow-no-such-stream');
  assert.is((error as KinesisStreamNotFoundError).retriable, false);
});

test('refused credentials (injected: kinesalite checks none) fail the source with a KinesisAccessError, not retried', async () => {
  await withStream(1, async (_client, stream) => {
    const reader = kinesisClient(endpoint);
    failFirst(reader, 'ListShardsCommand', [() => awsError('UnrecognizedClientException')]);
    const running = startSource(kinesisSource({ client: reader, streamName: stream }));
    const error = await running.ended;
    await running.close();
    reader.destroy();
    assert.instance(error, KinesisAccessError);
    assert.match((error as Error).message, stream);
    assert.match((error as Error).message, 'credentials');
  });
});

/**
 * Make Kinesis take only some entries of the first `times` PutRecords: the others are left out
 * of the request and marked failed in the answer, at their places, as a throttled shard does.
 */
function failSomeEntries(client: KinesisClient, times: number): { failed: number } {
  const seen = { failed: 0 };
  let left = times;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand' || left <= 0) return next(args);
      left--;
      const input = args.input as PutRecordsInput;
      const entries = input.Records ?? [];
      const failing = new Set(entries.map((_, i) => i).filter((i) => i % 3 === 0));
      const kept = entries.filter((_, i) => !failing.has(i));
      const sent = kept.length > 0 ? await next({ ...args, input: { ...input, Records: kept } }) : undefined;
      const results = [...((sent?.output as PutRecordsOutput | undefined)?.Records ?? [])];
      const output = {
        $metadata: {},
        FailedRecordCount: failing.size,
        Records: entries.map((_, i) => (failing.has(i) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected)' } : results.shift()!)),
      };
      seen.failed += failing.size;
      return { response: sent?.response, output } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'fail-some-entries' },
  );
  return seen;
}

test('entries a PutRecords answer marks failed are retried with backoff: the stream holds every record', async () => {
  await withStream(2, async (client, stream) => {
    const writer = kinesisClient(endpoint);
    const seen = failSomeEntries(writer, 4);
    const input = Array.from({ length: 1200 }, (_, i) => `rec-${i}`);
    const result = await pipeline({ id: uniqueName('kinesis-sink-retry'), checkpoints: { interval: 20, store: memoryStore() }, logger: silent, signals: false })
      .from(collectionSource(input))
      .to(kinesisSink<string>({ client: writer, streamName: stream, partitionKey: (line) => line, batching: { retry: { initialDelay: 5, maxDelay: 20 } } }))
      .run();
    writer.destroy();
    assert.is(result.outcome, 'finished');
    assert.ok(seen.failed > 0, 'some entries were failed');
    const written = (await readAll(client, stream)).map((data) => Buffer.from(data).toString());
    assert.equal([...new Set(written)].sort(), [...input].sort());
  });
});

test('a record over 1 MiB fails the sink with an error naming it; a missing stream fails it naming the stream', async () => {
  await withStream(1, async (client, stream) => {
    const big = { key: 'the-big-one', body: 'x'.repeat(1024 * 1024) };
    const sink = kinesisSink<{ key: string; body: string }>({ client, streamName: stream, partitionKey: (r) => r.key });
    const oversized = await pipeline({ id: uniqueName('kinesis-big'), logger: silent, signals: false })
      .from(collectionSource([{ key: 'small', body: 'ok' }, big]))
      .to(sink)
      .run()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.instance(oversized, JobFailedError);
    const cause = (oversized as Error).cause;
    assert.instance(cause, BatchWriteError);
    assert.match((cause as Error).message, "partition key 'the-big-one'");
    assert.match((cause as Error).message, stream);
    assert.match((cause as Error).message, 'above the limit of 1048576 bytes');
  });
  const client = kinesisClient(endpoint);
  const missing = await pipeline({ id: uniqueName('kinesis-missing'), logger: silent, signals: false })
    .from(collectionSource(['a']))
    .to(kinesisSink<string>({ client, streamName: 'onceflow-no-such-stream', partitionKey: (line) => line }))
    .run()
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  client.destroy();
  assert.instance(missing, JobFailedError);
  assert.match(String((missing as Error).cause), 'onceflow-no-such-stream');
  assert.match(String((missing as Error).cause), 'does not exist');
});

test.run();
