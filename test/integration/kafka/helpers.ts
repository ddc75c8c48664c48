import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

/** A client for the harness's broker; kafkajs's own logging is off (it logs retried errors at ERROR), the assertions tell. */
export function testKafka(clientId = 'onceflow-test'): Kafka {
  return new Kafka({ clientId, brokers: requireServer('kafka').split(','), logLevel: logLevel.NOTHING });
}

/** Create a topic with a unique name and `partitions` partitions. */
export async function createTopic(admin: Admin, prefix: string, partitions: number): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  return topic;
}

/** Read a topic from its beginning as a read_committed consumer until `count` values arrived or `idleMs` passed without one. */
export async function readTopic(kafka: Kafka, topic: string, count: number, idleMs = 3000): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('onceflow-read'), readUncommitted: false, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let timer = setTimeout(resolve, idleMs * 3);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            clearTimeout(timer);
            timer = setTimeout(resolve, values.length >= count ? 300 : idleMs);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/**
 * Write values to one partition and wait for every acknowledgement. A new producer each time:
 * kafkajs's metadata of a producer made before `createPartitions` lacks the new partitions, and
 * it drops messages addressed to them while `send` succeeds.
 */
export async function produce(kafka: Kafka, topic: string, partition: number, values: readonly string[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: values.slice(i, i + 500).map((value) => ({ value, partition })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Each key's counts 1..n exactly once: the output of a keyed count that saw every record once. */
export function assertExactlyOnce(output: readonly string[], perKey: ReadonlyMap<string, number>): void {
  assert.is(new Set(output).size, output.length, `no result twice (${output.length - new Set(output).size} duplicates)`);
  const expected = [...perKey].flatMap(([key, n]) => Array.from({ length: n }, (_, i) => `${key}=${i + 1}`)).sort();
  assert.is(output.length, expected.length, 'one result per input record');
  assert.equal([...output].sort(), expected, 'each key counted 1..n, each count once');
}
