// The Redis Streams source and the Redis sink under SIGKILL, against the real server: 10,000
// entries flow while the job is killed at random points.
import { Redis } from 'ioredis';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';
import { duplicates, finishedLines, killAndFinish } from '../sigkill-runs.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { withTempDir } from '../../temp-dir.js';

const url = requireServer('redis');
const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
const seed = runSeed();
const random = seededRandom(seed);
console.log(`redis sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const total = 10_000;
const job = new URL('./fixtures/redis-job.ts', import.meta.url);
const expected = Array.from({ length: total }, (_, i) => `e-${i}`);

test.before(() => redis.connect());
test.after(() => void redis.disconnect());

/** Add the entries 250 every 200 ms, so they flow while the job runs and is killed. */
async function addWhileRunning(stream: string): Promise<void> {
  for (let sent = 0; sent < total; sent += 250) {
    const batch = redis.pipeline();
    for (let i = sent; i < sent + 250; i++) batch.xadd(stream, '*', 'line', `e-${i}`);
    await batch.exec();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

for (const mode of ['streams', 'streams-group'] as const) {
  test(`Redis Streams source${mode === 'streams-group' ? ' through a consumer group' : ''} into the rolling file sink: SIGKILLed 5 times while 10,000 entries flow, every entry once`, async () => {
    await withTempDir('redis-streams-kill', async (root) => {
      const stream = uniqueName('onceflow:kill');
      const out = join(root, 'out');
      await mkdir(out);
      const adding = addWhileRunning(stream);
      const atKill = await killAndFinish(job, [url, stream, out, join(root, 'checkpoints'), mode], { kills: 5, random, done: async () => (await finishedLines(out)).length >= total });
      await adding;
      const lines = await finishedLines(out);
      assert.equal(duplicates(lines), [], `no entry twice (killed after ${atKill.join(', ')} checkpoints)`);
      const got = new Set(lines);
      assert.equal(expected.filter((e) => !got.has(e)), [], 'no entry lost');
      if (mode === 'streams-group') assert.is(((await redis.xpending(stream, 'killed')) as [number])[0], 0, 'every entry acknowledged in the group');
      await redis.del(stream);
    });
  });
}

test('Redis sink (RPUSH) fed by the Redis Streams source: SIGKILLed 5 times while 10,000 entries flow, nothing lost', async () => {
  await withTempDir('redis-sink-kill', async (root) => {
    const stream = uniqueName('onceflow:kill');
    const list = uniqueName('onceflow:kill-list');
    const adding = addWhileRunning(stream);
    await killAndFinish(job, [url, stream, list, join(root, 'checkpoints'), 'sink'], { kills: 5, random, done: async () => new Set(await redis.lrange(list, 0, -1)).size >= total });
    await adding;
    const got = new Set(await redis.lrange(list, 0, -1));
    assert.equal(expected.filter((e) => !got.has(e)), [], 'no entry lost');
    await redis.del(stream, list);
  });
});

test.run();
