// The broker closes the job's connections mid-run (rabbitmqctl close_connection): the RabbitMQ
// source and sink connect again and the job recovers, the source still exactly-once.
import { execFileSync } from 'node:child_process';
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pipeline, collectionSource } from 'onceflow';
import { rabbitMqSink, rabbitMqSource } from 'onceflow/rabbitmq';
import type { RabbitMqCheckpointedPosition } from 'onceflow/rabbitmq';
import { memorySink } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';

const url = requireServer('rabbitmq');
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let admin: ChannelModel;
let channel: Channel;
test.before(async () => {
  admin = await connect(url);
  channel = await admin.createChannel();
});
test.after(() => admin.close());

/**
 * Close, from the broker's side, every connection whose client named it `name`.
 * Only this test's connections: `close_all_connections` would also cut those of
 * other suites sharing the broker.
 */
function closeConnections(name: string): number {
  const listing = execFileSync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--no-table-headers', '-q'], { encoding: 'utf8' });
  const pids = listing
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.split('\t')[0] as string);
  for (const pid of pids) execFileSync('rabbitmqctl', ['close_connection', pid, 'onceflow test: closed under the job'], { stdio: 'ignore' });
  return pids.length;
}

const named = (name: string) => () => connect(url, { clientProperties: { connection_name: name } });

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the checkpointed source recovers when the broker closes its connection twice mid-run, and still delivers every message once', async () => {
  const name = uniqueName('onceflow-source-conn');
  const queue = (await channel.assertQueue(uniqueName('onceflow.loss'), { durable: false })).queue;
  const total = 3000;
  for (let i = 0; i < total; i++) channel.sendToQueue(queue, Buffer.from(`m-${i}`), { messageId: `m-${i}` });
  const sink = memorySink<string>();
  const handle = pipeline({ id: uniqueName('rmq-loss'), checkpoints: { interval: 50 }, logger: silent, signals: false })
    .from(rabbitMqSource({ connection: named(name), queues: [queue], mode: 'checkpointed', prefetch: 300, reconnect: { initialDelay: 10, maxDelay: 100 } }))
    .to(sink)
    .start();
  for (const at of [500, 1500]) {
    await waitFor(() => sink.committed.length >= at, `${at} committed`);
    assert.ok(closeConnections(name) >= 1, 'the source had a connection to close');
  }
  await waitFor(() => new Set(sink.committed).size >= total, `all ${total} committed (got ${new Set(sink.committed).size})`);
  await handle.drain();
  assert.is(sink.committed.length, total, 'no message twice');
  assert.is((await channel.checkQueue(queue)).messageCount, 0, 'every message acknowledged');
  await channel.deleteQueue(queue);
});

test('the sink republishes what was unconfirmed when the broker closes its connection: nothing lost', async () => {
  const name = uniqueName('onceflow-sink-conn');
  const queue = (await channel.assertQueue(uniqueName('onceflow.loss'), { durable: false })).queue;
  const total = 5000;
  const records = Array.from({ length: total }, (_, i) => `m-${i}`);
  let closed = 0;
  const job = pipeline({ id: uniqueName('rmq-sink-loss'), checkpoints: { interval: 20 }, logger: silent, signals: false })
    .from(collectionSource(records, { chunkSize: 50 }))
    .to(rabbitMqSink<string>({ connection: named(name), toMessage: (line) => ({ routingKey: queue, content: line }), reconnect: { initialDelay: 10, maxDelay: 100 } }))
    .run();
  await waitFor(async () => (await channel.checkQueue(queue)).messageCount >= 1000, 'a first thousand published');
  closed = closeConnections(name);
  await job;
  assert.ok(closed >= 1, 'the sink had a connection to close');
  const bodies = new Set<string>();
  for (let m = await channel.get(queue, { noAck: true }); m !== false; m = await channel.get(queue, { noAck: true })) bodies.add(m.content.toString());
  assert.equal(records.filter((r) => !bodies.has(r)), [], 'nothing lost');
  await channel.deleteQueue(queue);
});

test('acknowledgements lost with a connection after a checkpoint completed are made by the next checkpoint: nothing stuck, nothing twice (FLINK-23183)', async () => {
  const name = uniqueName('onceflow-ack-loss');
  const queue = (await channel.assertQueue(uniqueName('onceflow.ackloss'), { durable: false })).queue;
  const reader = rabbitMqSource({ connection: named(name), queues: [queue], mode: 'checkpointed', reconnect: { initialDelay: 10, maxDelay: 50 } }).createReader({ jobId: 'j', taskId: 't' });
  reader.addSplits([{ split: { splitId: queue }, position: undefined }]);
  const emitted: string[] = [];
  let position: RabbitMqCheckpointedPosition = { unacknowledged: [] };
  const readUntil = async (count: number): Promise<void> => {
    while (emitted.length < count) {
      for (const batch of (await reader.fetch()).batches) {
        emitted.push(...batch.records);
        position = batch.positionAfter(batch.records.length - 1) as RabbitMqCheckpointedPosition;
      }
    }
  };
  for (let i = 0; i < 10; i++) channel.sendToQueue(queue, Buffer.from(`a-${i}`), { messageId: `a-${i}` });
  await readUntil(10);
  // The connection goes before checkpoint 1's acknowledgements reach the broker: its ten messages go back to the queue.
  assert.ok(closeConnections(name) >= 1);
  await waitFor(async () => (await channel.checkQueue(queue)).consumerCount === 1, 'the source to consume again');
  await reader.checkpointComplete?.(1, new Map([[queue, position]]));
  for (let i = 0; i < 5; i++) channel.sendToQueue(queue, Buffer.from(`b-${i}`), { messageId: `b-${i}` });
  await readUntil(15);
  assert.equal(emitted.filter((m) => m.startsWith('a-')).length, 10, 'the redelivered ten are dropped, not emitted again');
  await reader.checkpointComplete?.(2, new Map([[queue, position]]));
  await reader.close();
  await waitFor(async () => (await channel.checkQueue(queue)).consumerCount === 0, 'the source to let go');
  assert.is((await channel.checkQueue(queue)).messageCount, 0, 'checkpoint 2 acknowledged all fifteen: none returns to the queue');
  await channel.deleteQueue(queue);
});

test.run();
