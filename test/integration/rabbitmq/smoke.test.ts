import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

let connection: ChannelModel;

test.before(async () => {
  connection = await connect(requireServer('rabbitmq'));
});
test.after(() => connection.close());

test('publish, get and ack a message on a fresh queue', async () => {
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue(uniqueName('onceflow.smoke'), { exclusive: true });
  channel.sendToQueue(queue, Buffer.from('hello'), { messageId: 'm-1', persistent: false });
  // Publishing is asynchronous: poll until the broker has routed it.
  let message = await channel.get(queue, { noAck: false });
  for (let tries = 0; message === false && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    message = await channel.get(queue, { noAck: false });
  }
  if (message === false) return assert.unreachable('no message arrived');
  assert.is(message.content.toString(), 'hello');
  assert.is(message.properties.messageId, 'm-1');
  channel.ack(message);
  assert.is((await channel.checkQueue(queue)).messageCount, 0);
  await channel.close();
});

test('a consumer receives what is published, and an unacked message is redelivered', async () => {
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue(uniqueName('onceflow.smoke'), { exclusive: true });
  const deliveries: { body: string; redelivered: boolean }[] = [];
  const twice = new Promise<void>((resolve) => {
    void channel.consume(queue, (message) => {
      if (message === null) return;
      deliveries.push({ body: message.content.toString(), redelivered: message.fields.redelivered });
      // First delivery is rejected back to the queue, as after a failed checkpoint.
      if (deliveries.length === 1) channel.nack(message, false, true);
      else {
        channel.ack(message);
        resolve();
      }
    });
  });
  channel.sendToQueue(queue, Buffer.from('record'));
  await twice;
  assert.equal(deliveries, [
    { body: 'record', redelivered: false },
    { body: 'record', redelivered: true },
  ]);
  await channel.close();
});

test.run();
