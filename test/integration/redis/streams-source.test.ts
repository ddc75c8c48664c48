// The Redis Streams source through the connector test kit, plain and through a consumer group, against the real server.
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redisStreamsSource, RedisStreamReadError } from 'onceflow/redis';
import type { RedisStreamEntry } from 'onceflow/redis';
import { readSource, sourceTestCases, startSource } from 'onceflow/testing';
import type { ConnectorTestCase, SourceTestContext } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';
import { runSeed, seededRandom } from '../../fault/random.js';

const redis = new Redis(requireServer('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
const seed = runSeed();
const random = seededRandom(seed);
console.log(`redis streams seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);

test.before(() => redis.connect());
test.after(() => void redis.disconnect());

const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

async function addStream(key: string, lines: readonly string[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const line of lines) pipeline.xadd(key, '*', 'line', line);
  await pipeline.exec();
}

for (const grouped of [false, true]) {
  let streams: string[] = [];
  let group = '';
  const context: SourceTestContext<RedisStreamEntry> = {
    name: grouped ? 'redisStreamsSource (consumer group)' : 'redisStreamsSource',
    async setUp() {
      streams = [];
      group = uniqueName('group');
    },
    async tearDown() {
      if (streams.length > 0) await redis.del(...streams);
    },
    async addSplit(lines) {
      const key = uniqueName('onceflow:stream');
      streams.push(key);
      await addStream(key, lines);
    },
    createSource: () => redisStreamsSource({ client: redis, streams: [...streams], count: 37, block: 200, ...(grouped ? { group: { name: group, consumer: 'job' } } : {}) }),
    text: (entry) => entry.fields['line'] ?? '',
    discoversSplits: false,
  };
  register(sourceTestCases(context, { random }));
}

test("startFrom 'end' reads only entries added after the start", async () => {
  const key = uniqueName('onceflow:stream');
  await addStream(key, ['old-1', 'old-2']);
  const running = startSource(redisStreamsSource({ client: redis, streams: [key], startFrom: 'end', block: 50 }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  await addStream(key, ['new-1']);
  for (let tries = 0; tries < 200 && running.records.length < 1; tries++) await new Promise((r) => setTimeout(r, 10));
  await running.close();
  assert.equal(
    running.records.map((r) => r.fields['line']),
    ['new-1'],
  );
  await redis.del(key);
});

test('a key that is not a stream fails with RedisStreamReadError naming it', async () => {
  const key = uniqueName('onceflow:not-a-stream');
  await redis.set(key, 'x');
  const { error } = await readSource(redisStreamsSource({ client: redis, streams: [key], block: 50 }));
  assert.instance(error, RedisStreamReadError);
  assert.match((error as Error).message, key);
  assert.match((error as Error).message, 'WRONGTYPE');
  await redis.del(key);
});

test('an entry the decoder rejects fails with RedisStreamReadError naming stream and entry id', async () => {
  const key = uniqueName('onceflow:stream');
  const id = await redis.xadd(key, '*', 'n', 'not a number');
  const decoder = (entry: RedisStreamEntry): number => {
    const n = Number(entry.fields['n']);
    if (Number.isNaN(n)) throw new Error(`n is ${entry.fields['n']}`);
    return n;
  };
  const { error } = await readSource(redisStreamsSource({ client: redis, streams: [key], block: 50, decoder }));
  assert.instance(error, RedisStreamReadError);
  assert.match((error as Error).message, key);
  assert.match((error as Error).message, String(id));
  assert.match((error as Error).message, 'not a number');
  await redis.del(key);
});

test('a consumer group acknowledges entries once the checkpoint covering them completes', async () => {
  const key = uniqueName('onceflow:stream');
  await addStream(key, ['a', 'b', 'c']);
  const source = redisStreamsSource({ client: redis, streams: [key], group: { name: 'g', consumer: 'job' }, block: 50 });
  const reader = source.createReader({ jobId: 'j', taskId: 't' });
  reader.addSplits([{ split: { splitId: key }, position: undefined }]);
  const { batches } = await reader.fetch();
  const batch = batches[0];
  if (!batch) return assert.unreachable('no batch');
  assert.is(batch.records.length, 3);
  assert.is(((await redis.xpending(key, 'g')) as [number])[0], 3, 'delivered, not acknowledged');
  await reader.checkpointComplete?.(1, new Map([[key, batch.positionAfter(1)]]));
  assert.is(((await redis.xpending(key, 'g')) as [number])[0], 1, 'the two the checkpoint covers are acknowledged');
  await reader.close();
  await redis.del(key);
});

test.run();
