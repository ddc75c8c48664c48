// The RabbitMQ source through the connector test kit, and its bad inputs, against the real broker.
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rabbitMqSource, MalformedMessageError, MissingMessageIdError, QueueInUseError, QueueNotFoundError, RabbitMqAuthenticationError } from 'onceflow/rabbitmq';
import { readSource, sourceTestCases, startSource } from 'onceflow/testing';
import type { ConnectorTestCase, SourceTestContext } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';
import { runSeed, seededRandom } from '../../fault/random.js';

const url = requireServer('rabbitmq');
const seed = runSeed();
const random = seededRandom(seed);
console.log(`rabbitmq source seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);

let admin: ChannelModel;
let channel: Channel;
test.before(async () => {
  admin = await connect(url);
  channel = await admin.createChannel();
});
test.after(async () => {
  await admin.close();
});

/** Publish lines to a queue, each with its own message id, and wait until the broker has them. */
async function publish(queue: string, lines: readonly string[], options: { ids?: boolean } = {}): Promise<void> {
  for (const line of lines) channel.sendToQueue(queue, Buffer.from(line), options.ids === false ? {} : { messageId: line });
  for (let tries = 0; tries < 200; tries++) {
    if ((await channel.checkQueue(queue)).messageCount >= lines.length) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function queues() {
  let names: string[] = [];
  return {
    get names(): string[] {
      return names;
    },
    async setUp(): Promise<void> {
      names = [];
    },
    async tearDown(): Promise<void> {
      for (const name of names) await channel.deleteQueue(name);
    },
    async add(lines: readonly string[]): Promise<void> {
      const { queue } = await channel.assertQueue(uniqueName('onceflow.kit'), { durable: false });
      names.push(queue);
      await publish(queue, lines);
    },
  };
}

const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));
for (const mode of ['checkpointed', 'auto-ack'] as const) {
  const system = queues();
  const context: SourceTestContext<string> = {
    name: `rabbitMqSource (${mode})`,
    setUp: () => system.setUp(),
    tearDown: () => system.tearDown(),
    addSplit: (lines) => system.add(lines),
    createSource: () =>
      mode === 'checkpointed'
        ? rabbitMqSource({ connection: url, queues: system.names, mode, prefetch: 2000, fetchSize: 37 })
        : rabbitMqSource({ connection: url, queues: system.names, mode, prefetch: 50, fetchSize: 37 }),
    text: (record) => record,
    discoversSplits: false,
  };
  register(sourceTestCases(context, { random }));
}

async function freshQueue(): Promise<string> {
  const { queue } = await channel.assertQueue(uniqueName('onceflow.bad'), { durable: false });
  return queue;
}

async function failure(read: Promise<{ error: unknown }>): Promise<unknown> {
  const { error } = await read;
  if (error === undefined) assert.unreachable('expected the source to fail');
  return error;
}

test('wrong credentials fail at once with RabbitMqAuthenticationError', async () => {
  const wrong = url.replace('guest:guest', 'guest:wrong');
  const error = await failure(readSource(rabbitMqSource({ connection: wrong, queues: ['any'], mode: 'checkpointed' })));
  assert.instance(error, RabbitMqAuthenticationError);
  assert.not.match((error as Error).message, 'wrong');
});

test('a missing queue fails with QueueNotFoundError naming it', async () => {
  const queue = uniqueName('onceflow.missing');
  const error = await failure(readSource(rabbitMqSource({ connection: url, queues: [queue], mode: 'checkpointed' })));
  assert.instance(error, QueueNotFoundError);
  assert.match((error as Error).message, queue);
});

test('a message that does not decode fails with MalformedMessageError naming queue and message; it stays in the queue', async () => {
  const queue = await freshQueue();
  channel.sendToQueue(queue, Buffer.from([0xff, 0xfe]), { messageId: 'bad-1' });
  const error = await failure(readSource(rabbitMqSource({ connection: url, queues: [queue], mode: 'checkpointed' })));
  assert.instance(error, MalformedMessageError);
  assert.match((error as Error).message, queue);
  assert.match((error as Error).message, 'bad-1');
  for (let tries = 0; tries < 100 && (await channel.checkQueue(queue)).messageCount === 0; tries++) await new Promise((r) => setTimeout(r, 10));
  assert.is((await channel.checkQueue(queue)).messageCount, 1, 'not acknowledged, so not lost');
  await channel.deleteQueue(queue);
});

test('a message without an id fails the checkpointed mode with MissingMessageIdError', async () => {
  const queue = await freshQueue();
  await publish(queue, ['no-id'], { ids: false });
  const error = await failure(readSource(rabbitMqSource({ connection: url, queues: [queue], mode: 'checkpointed' })));
  assert.instance(error, MissingMessageIdError);
  assert.match((error as Error).message, queue);
  assert.match((error as Error).message, 'messageId');
  await channel.deleteQueue(queue);
});

test('the checkpointed mode fails with QueueInUseError when another consumer holds the queue', async () => {
  const queue = await freshQueue();
  const other = await admin.createChannel();
  await other.consume(queue, () => {}, { noAck: true });
  const error = await failure(readSource(rabbitMqSource({ connection: url, queues: [queue], mode: 'checkpointed', reconnect: { initialDelay: 5, maxDelay: 10, maxAttempts: 2 } })));
  assert.instance(error, QueueInUseError);
  assert.match((error as Error).message, queue);
  await other.close();
  await channel.deleteQueue(queue);
});

test('prefetch bounds what the checkpointed mode holds: without completed checkpoints it reads no more than prefetch', async () => {
  const queue = await freshQueue();
  await publish(queue, Array.from({ length: 100 }, (_, i) => `m-${i}`));
  const running = startSource(rabbitMqSource({ connection: url, queues: [queue], mode: 'checkpointed', prefetch: 30 }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.is(running.records.length, 30);
  await running.close();
  await channel.deleteQueue(queue);
});

test.run();
