// The RabbitMQ source under SIGKILL, against the real broker: 10,000 messages flow while the
// job is killed at random points; the checkpointed mode into a two-phase-commit sink holds
// each message once, the auto-ack mode loses some (counted) but never repeats one.
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';
import { duplicates, finishedLines, killAndFinish } from '../sigkill-runs.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { withTempDir } from '../../temp-dir.js';

const url = requireServer('rabbitmq');
const seed = runSeed();
const random = seededRandom(seed);
console.log(`rabbitmq sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const total = 10_000;
const job = new URL('./fixtures/rabbitmq-job.ts', import.meta.url);

let admin: ChannelModel;
let channel: Channel;
test.before(async () => {
  admin = await connect(url);
  channel = await admin.createChannel();
});
test.after(() => admin.close());

/** Publish `total` messages, each with its id, a batch every 100 ms, so they flow while the job runs and is killed. */
async function publishWhileRunning(queue: string): Promise<void> {
  for (let sent = 0; sent < total; sent += 500) {
    for (let i = sent; i < sent + 500; i++) channel.sendToQueue(queue, Buffer.from(`m-${i}`), { messageId: `m-${i}`, persistent: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('checkpointed mode into the rolling file sink: SIGKILLed 5 times while 10,000 messages flow, every message once', async () => {
  await withTempDir('rabbitmq-kill', async (root) => {
    const queue = (await channel.assertQueue(uniqueName('onceflow.kill'), { durable: true })).queue;
    const out = join(root, 'out');
    await mkdir(out);
    const publishing = publishWhileRunning(queue);
    const atKill = await killAndFinish(job, [url, queue, out, join(root, 'checkpoints'), 'checkpointed'], {
      kills: 5,
      random,
      done: async () => (await finishedLines(out)).length >= total,
    });
    await publishing;
    const lines = await finishedLines(out);
    assert.equal(duplicates(lines), [], `no message twice (killed after ${atKill.join(', ')} checkpoints)`);
    const expected = Array.from({ length: total }, (_, i) => `m-${i}`);
    const got = new Set(lines);
    assert.equal(expected.filter((m) => !got.has(m)), [], 'no message lost');
    assert.is((await channel.checkQueue(queue)).messageCount, 0, 'every message acknowledged');
    await channel.deleteQueue(queue);
  });
});

test('auto-ack mode: SIGKILLed 5 times while 10,000 messages flow, no message twice, and the loss at-most-once predicts is counted', async () => {
  await withTempDir('rabbitmq-kill-autoack', async (root) => {
    const queue = (await channel.assertQueue(uniqueName('onceflow.kill'), { durable: true })).queue;
    const out = join(root, 'out');
    await mkdir(out);
    const publishing = publishWhileRunning(queue);
    let published = false;
    void publishing.then(() => (published = true));
    const file = join(out, 'out.txt');
    const read = async (): Promise<string[]> => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    await killAndFinish(job, [url, queue, out, join(root, 'checkpoints'), 'auto-ack'], {
      kills: 5,
      random,
      maxCheckpoints: 2,
      // Nothing more will come: everything published was taken from the queue.
      done: async () => published && (await channel.checkQueue(queue)).messageCount === 0,
    });
    const lines = await read();
    assert.equal(duplicates(lines), [], 'at-most-once: no message twice');
    const lost = total - new Set(lines).size;
    console.log(`auto-ack mode under 5 SIGKILLs: ${lost} of ${total} messages lost (acknowledged before the sink had them)`);
    assert.ok(lost >= 0 && lines.length <= total);
    await channel.deleteQueue(queue);
  });
});

test.run();
