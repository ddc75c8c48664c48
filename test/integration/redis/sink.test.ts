// The Redis sink through the connector test kit, and its mappers, against the real server.
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline, collectionSource } from 'onceflow';
import type { FlushingSink, Guarantee } from 'onceflow';
import {
  RedisCommandError,
  redisHset,
  redisIncrby,
  redisLpush,
  redisPublish,
  redisRpush,
  redisSadd,
  redisSet,
  redisSink,
  redisXadd,
  redisZadd,
} from 'onceflow/redis';
import { sinkTestCases } from 'onceflow/testing';
import type { ConnectorTestCase, SinkTestContext } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';
import { runSeed, seededRandom } from '../../fault/random.js';

const redis = new Redis(requireServer('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
const seed = runSeed();
const random = seededRandom(seed);
console.log(`redis sink seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

test.before(() => redis.connect());
test.after(() => void redis.disconnect());

const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

function keyed(name: string, make: (key: string) => Omit<SinkTestContext, 'name' | 'setUp' | 'tearDown'>): SinkTestContext {
  let key = '';
  let inner: Omit<SinkTestContext, 'name' | 'setUp' | 'tearDown'> | undefined;
  return {
    name,
    async setUp() {
      key = uniqueName('onceflow:kit');
      inner = make(key);
    },
    async tearDown() {
      const keys = await redis.keys(`${key}*`);
      if (keys.length > 0) await redis.del(...keys);
    },
    createSink: () => (inner as NonNullable<typeof inner>).createSink(),
    read: () => (inner as NonNullable<typeof inner>).read(),
  };
}

// Idempotent: exactly-once on the kit's deterministic stream.
register(
  sinkTestCases(
    keyed('redisSink (SADD)', (key) => ({
      createSink: () => redisSink({ client: redis, mapper: redisSadd<string>({ key: () => key, member: (line) => line }), maxBatchSize: 50 }),
      read: () => redis.smembers(key),
    })),
    { random },
  ),
);
register(
  sinkTestCases(
    keyed('redisSink (HSET)', (key) => ({
      createSink: () => redisSink({ client: redis, mapper: redisHset<string>({ key: () => key, field: (line) => line, value: (line) => line }), maxBatchSize: 50 }),
      read: async () => Object.values(await redis.hgetall(key)),
    })),
    { random },
  ),
);
// Not idempotent: at-least-once.
register(
  sinkTestCases(
    keyed('redisSink (RPUSH)', (key) => ({
      createSink: () => redisSink({ client: redis, mapper: redisRpush<string>({ key: () => key, value: (line) => line }), maxBatchSize: 50 }),
      read: () => redis.lrange(key, 0, -1),
    })),
    { random },
  ),
);

function write<T>(records: readonly T[], sink: FlushingSink<T, Guarantee, 'at-most-once', boolean>) {
  return pipeline({ id: uniqueName('redis-sink'), checkpoints: { interval: 20 }, logger: silent, signals: false }).from(collectionSource([...records])).to(sink as FlushingSink<T, 'at-least-once', 'at-most-once', false>).run();
}

test('each mapper writes its command', async () => {
  const k = uniqueName('onceflow:mappers');
  const rows = [
    { id: 'a', n: 1 },
    { id: 'b', n: 2 },
  ];
  await write(rows, redisSink({ client: redis, mapper: redisSet<(typeof rows)[number]>({ key: (r) => `${k}:set:${r.id}`, value: (r) => String(r.n), ttl: 60_000 }) }));
  assert.is(await redis.get(`${k}:set:b`), '2');
  assert.ok((await redis.pttl(`${k}:set:b`)) > 0, 'SET with a TTL expires');
  await write(rows, redisSink({ client: redis, mapper: redisHset<(typeof rows)[number]>({ key: () => `${k}:hash`, field: (r) => r.id, value: (r) => String(r.n) }) }));
  assert.equal(await redis.hgetall(`${k}:hash`), { a: '1', b: '2' });
  await write(rows, redisSink({ client: redis, mapper: redisZadd<(typeof rows)[number]>({ key: () => `${k}:zset`, score: (r) => r.n, member: (r) => r.id }) }));
  assert.equal(await redis.zrange(`${k}:zset`, 0, -1, 'WITHSCORES'), ['a', '1', 'b', '2']);
  await write(rows, redisSink({ client: redis, mapper: redisLpush<(typeof rows)[number]>({ key: () => `${k}:list`, value: (r) => r.id }) }));
  assert.equal(await redis.lrange(`${k}:list`, 0, -1), ['b', 'a']);
  await write(rows, redisSink({ client: redis, mapper: redisIncrby<(typeof rows)[number]>({ key: () => `${k}:counter`, increment: (r) => r.n }) }));
  assert.is(await redis.get(`${k}:counter`), '3');
  await write(rows, redisSink({ client: redis, mapper: redisXadd<(typeof rows)[number]>({ key: () => `${k}:stream`, fields: (r) => ({ id: r.id }) }) }));
  assert.is(await redis.xlen(`${k}:stream`), 2);
  const subscriber = redis.duplicate();
  const heard: string[] = [];
  await subscriber.subscribe(`${k}:channel`);
  subscriber.on('message', (_channel: string, message: string) => heard.push(message));
  await write(rows, redisSink({ client: redis, mapper: redisPublish<(typeof rows)[number]>({ channel: () => `${k}:channel`, message: (r) => r.id }) }));
  for (let tries = 0; tries < 100 && heard.length < 2; tries++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(heard, ['a', 'b']);
  subscriber.disconnect();
  await redis.del(...(await redis.keys(`${k}*`)));
});

test('XADD with explicit ids is idempotent: a replay of entries already there counts as applied', async () => {
  const key = uniqueName('onceflow:xadd');
  const entries = ['1-1', '2-1', '3-1'];
  const sink = () => redisSink({ client: redis, mapper: redisXadd<string>({ key: () => key, id: (id) => id, fields: (id) => ({ id }) }) });
  await write(entries.slice(0, 2), sink());
  await write(entries, sink());
  assert.equal((await redis.xrange(key, '-', '+')).map(([id]) => id), entries);
  await redis.del(key);
});

test('a command Redis refuses fails the job with RedisCommandError naming command and key, not retried', async () => {
  const key = uniqueName('onceflow:wrongtype');
  await redis.set(key, 'a string');
  let error: unknown;
  try {
    await write(['x'], redisSink({ client: redis, mapper: redisSadd<string>({ key: () => key, member: (m) => m }) }));
  } catch (caught) {
    error = caught;
  }
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  let found: unknown = error;
  while (found && !(found instanceof RedisCommandError)) found = (found as { cause?: unknown }).cause;
  assert.instance(found, RedisCommandError, `got ${String(error)} / ${String(cause)}`);
  assert.match((found as Error).message, 'SADD');
  assert.match((found as Error).message, key);
  assert.match((found as Error).message, 'WRONGTYPE');
  await redis.del(key);
});

test.run();
