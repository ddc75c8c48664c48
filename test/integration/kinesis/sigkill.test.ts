// The Kinesis source and sink in child processes killed with SIGKILL at random points and
// restarted, against kinesalite; shards are split and merged while the runs go on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../../services/kinesis.js';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer, uniqueName } from '../env.js';
import { createStream, deleteStream, isOpen, mergeShards, putLines, readAll, shards, splitShard } from './streams.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`kinesis sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const endpoint = requireServer('kinesis');
const client = kinesisClient(endpoint);
const keys = 64;
const total = 20_000;
const line = (n: number): string => `k${n % keys}-${n}`;

/** Put the records `from`..`to` (exclusive), partition key `k<n % 64>`, so in order per key, 400 a request. */
async function produce(kinesis: KinesisClient, stream: string, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n += 400) {
    const chunk = Array.from({ length: Math.min(400, to - n) }, (_, i) => line(n + i));
    await putLines(kinesis, stream, chunk, undefined, (text) => text.slice(0, text.indexOf('-')));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The input while the runs go: a quarter, a split of a shard, a quarter, a merge of two shards, the rest. */
async function produceWithReshards(stream: string, done: string): Promise<void> {
  await produce(client, stream, 0, total / 4);
  const open = (await shards(client, stream)).filter(isOpen);
  await splitShard(client, stream, open[0]!);
  await produce(client, stream, total / 4, total / 2);
  // The last two of the original four are adjacent in hash range.
  const after = (await shards(client, stream)).filter(isOpen).sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
  await mergeShards(client, stream, after[after.length - 2]!, after[after.length - 1]!);
  await produce(client, stream, total / 2, total);
  await writeFile(done, '');
}

/** Within each key, records come in the order they were put (a child shard after its parents). */
function assertKeyOrder(lines: readonly string[]): void {
  const last = new Map<string, number>();
  for (const text of lines) {
    const [key, n] = text.split('-') as [string, string];
    assert.ok(Number(n) > (last.get(key) ?? -1), `${text} came after ${key}-${last.get(key)}`);
    last.set(key, Number(n));
  }
}

test('4 shards, 20 000 records, a split and a merge, SIGKILLed 5 times: the rolling file sink holds each record once, in key order', async () => {
  await withTempDir('kinesis-kill', async (root) => {
    const stream = uniqueName('onceflow-kill');
    await createStream(client, stream, 4);
    try {
      const done = join(root, 'done');
      const output = join(root, 'out');
      const producing = produceWithReshards(stream, done);
      const runs = runWithKills(new URL('./fixtures/kinesis-job.ts', import.meta.url), [endpoint, stream, join(root, 'checkpoints'), 'rolling', output, done], {
        kills: 5,
        maxCheckpoints: 6,
        random,
      });
      await producing;
      const { kills, checkpointsAtKill } = await runs;
      assert.is(kills, 5, `killed five times (after ${checkpointsAtKill.join(', ')} checkpoints)`);
      const names = await readdir(output);
      assert.ok(names.every((f) => !/\.(inprogress|pending)$/.test(f)), `no in-progress or pending part is left: ${names.join(', ')}`);
      // Finished parts only: the sink's hidden committed-checkpoint marker is not output.
      const files = names.filter((f) => !f.startsWith('.')).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
      const lines: string[] = [];
      for (const f of files) lines.push(...(await readFile(join(output, f), 'utf8')).split('\n').filter((l) => l.length > 0));
      const expected = Array.from({ length: total }, (_, n) => line(n));
      assert.is(new Set(lines).size, lines.length, `no record twice (${lines.length - new Set(lines).size} duplicates)`);
      assert.equal([...lines].sort(), [...expected].sort(), 'every record once');
      assertKeyOrder(lines);
    } finally {
      await deleteStream(client, stream);
    }
  });
});

test('the Kinesis sink, SIGKILLed 5 times: the output stream holds every record at least once', async () => {
  await withTempDir('kinesis-sink-kill', async (root) => {
    const input = uniqueName('onceflow-kill-in');
    const output = uniqueName('onceflow-kill-out');
    await createStream(client, input, 4);
    await createStream(client, output, 2);
    try {
      const done = join(root, 'done');
      const count = 10_000;
      await produce(client, input, 0, count);
      await writeFile(done, '');
      const { kills } = await runWithKills(new URL('./fixtures/kinesis-job.ts', import.meta.url), [endpoint, input, join(root, 'checkpoints'), 'kinesis', output, done], {
        kills: 5,
        maxCheckpoints: 6,
        random,
      });
      assert.is(kills, 5);
      const written = new Set((await readAll(client, output)).map((data) => Buffer.from(data).toString()));
      const missing = Array.from({ length: count }, (_, n) => line(n)).filter((l) => !written.has(l));
      assert.equal(missing.slice(0, 10), [], `no record lost (${missing.length} missing)`);
    } finally {
      await deleteStream(client, input);
      await deleteStream(client, output);
    }
  });
});

test.after(() => client.destroy());
test.run();
