import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Consumer } from 'kafkajs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

// kafkajs logs broker errors it then retries (CONCURRENT_TRANSACTIONS right after an abort)
// at ERROR; the assertions are what tells.
const kafka = new Kafka({ clientId: 'onceflow-smoke', brokers: requireServer('kafka').split(','), logLevel: logLevel.NOTHING });
const topic = uniqueName('onceflow-smoke');

/** Reads until `count` records arrived or the deadline passes, as a read_committed consumer. */
async function readCommitted(count: number, waitMs = 15_000): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('onceflow-smoke'), readUncommitted: false });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, waitMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            if (values.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

test.before(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
});

test('a committed transaction is read back; an aborted one is not seen by read_committed', async () => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, transactionalId: uniqueName('onceflow-smoke-tx'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
    await aborted.abort();

    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'k', value: 'committed-1' }, { key: 'k', value: 'committed-2' }] });
    await committed.commit();
  } finally {
    await producer.disconnect();
  }
  // The aborted record sits at a lower offset than the committed ones, so had the consumer
  // seen it, it would be among the first two it read.
  assert.equal(await readCommitted(2), ['committed-1', 'committed-2']);
});

test.run();
