import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

const redis = new Redis(requireServer('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });

test.before(() => redis.connect());
test.after(() => void redis.disconnect());

test('PING answers PONG', async () => {
  assert.is(await redis.ping(), 'PONG');
});

test('SET then GET returns the value, and it expires', async () => {
  const key = uniqueName('onceflow:smoke');
  assert.is(await redis.set(key, 'checkpoint-1', 'EX', 60), 'OK');
  assert.is(await redis.get(key), 'checkpoint-1');
  assert.ok((await redis.ttl(key)) > 0);
  await redis.del(key);
  assert.is(await redis.get(key), null);
});

test.run();
