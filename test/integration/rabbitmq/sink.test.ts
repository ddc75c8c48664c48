// The RabbitMQ sink through the connector test kit, and its failures, against the real broker.
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, pipeline } from 'onceflow';
import { rabbitMqSink, UnroutableMessageError } from 'onceflow/rabbitmq';
import { sinkTestCases } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';
import { runSeed, seededRandom } from '../../fault/random.js';

const url = requireServer('rabbitmq');
const seed = runSeed();
const random = seededRandom(seed);
console.log(`rabbitmq sink seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let admin: ChannelModel;
let channel: Channel;
test.before(async () => {
  admin = await connect(url);
  channel = await admin.createChannel();
});
test.after(() => admin.close());

/** Every message in a queue now, taken out of it. */
async function drain(queue: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let message = await channel.get(queue, { noAck: true }); message !== false; message = await channel.get(queue, { noAck: true })) bodies.push(message.content.toString());
  return bodies;
}

let queue = '';
for (const c of sinkTestCases(
  {
    name: 'rabbitMqSink',
    async setUp() {
      queue = (await channel.assertQueue(uniqueName('onceflow.sink'), { durable: false })).queue;
    },
    async tearDown() {
      await channel.deleteQueue(queue);
    },
    createSink: () => rabbitMqSink<string>({ connection: url, toMessage: (line) => ({ routingKey: queue, content: line, properties: { messageId: line } }) }),
    read: () => drain(queue),
  },
  { random },
)) {
  test(c.name, c.run);
}

test('exchange, routing key, headers and properties come from the record', async () => {
  const exchange = uniqueName('onceflow.exchange');
  await channel.assertExchange(exchange, 'direct', { autoDelete: true });
  const target = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(target, exchange, 'orders');
  const records = [{ id: 'o-1', total: 3 }];
  await pipeline({ id: uniqueName('rmq-sink'), checkpoints: { interval: 20 }, logger: silent, signals: false })
    .from(collectionSource(records))
    .to(
      rabbitMqSink<(typeof records)[number]>({
        connection: url,
        toMessage: (r) => ({ exchange, routingKey: 'orders', content: JSON.stringify(r), headers: { total: r.total }, properties: { messageId: r.id, contentType: 'application/json' } }),
      }),
    )
    .run();
  const message = await channel.get(target, { noAck: true });
  if (message === false) return assert.unreachable('nothing was routed');
  assert.is(message.content.toString(), '{"id":"o-1","total":3}');
  assert.is(message.properties.messageId, 'o-1');
  assert.is(message.properties.contentType, 'application/json');
  assert.is(message.properties.headers?.['total'], 3);
  await channel.deleteExchange(exchange);
});

test('a mandatory message no queue takes fails the job with UnroutableMessageError naming exchange and routing key', async () => {
  const key = uniqueName('nowhere');
  let error: unknown;
  try {
    await pipeline({ id: uniqueName('rmq-sink'), checkpoints: { interval: 20 }, logger: silent, signals: false })
      .from(collectionSource(['lost?']))
      .to(rabbitMqSink<string>({ connection: url, toMessage: (line) => ({ routingKey: key, content: line }) }))
      .run();
  } catch (caught) {
    error = caught;
  }
  let found: unknown = error;
  while (found && !(found instanceof UnroutableMessageError)) found = (found as { cause?: unknown }).cause;
  assert.instance(found, UnroutableMessageError, `got ${String(error)}`);
  assert.match((found as Error).message, key);
});

test.run();
