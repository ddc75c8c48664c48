// Bad input to the Kafka connectors: each fails with a named error that says what is wrong,
// and no record is silently dropped.
import { Kafka, logLevel } from 'kafkajs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  KafkaConnectionError,
  KafkaConsumerCrashedError,
  KafkaDeserializationError,
  KafkaStaleCheckpointError,
  KafkaTransactionConfigError,
  KafkaUnknownPartitionError,
  KafkaUnknownTopicError,
  jsonDeserializer,
  kafkaSink,
  kafkaSource,
  kafkaTransactionalSink,
} from 'onceflow/kafka';
import type { KafkaRecord } from 'onceflow/kafka';
import { collectionSource, memoryStore, pipeline } from 'onceflow';
import { startSource } from 'onceflow/testing';
import type { RunningSource } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';
import { createTopic, produce, readTopic, testKafka } from './helpers.js';

const kafka = testKafka('onceflow-bad-input');
const admin = kafka.admin();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const writerContext = { jobId: 'bad-input', taskId: '1-kafka', restoredCheckpointId: 0, restoredState: undefined } as const;

test.before(() => admin.connect());
test.after(() => admin.disconnect());

async function failure(running: RunningSource<unknown>, timeout = 20_000): Promise<unknown> {
  const ended = await Promise.race([running.ended, new Promise((resolve) => setTimeout(() => resolve('timed out'), timeout).unref())]);
  await running.close();
  return ended;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new assert.Assertion({ message: 'expected a rejection', generated: false, operator: 'rejects', expects: 'an error', actual: 'resolved' });
}

test('a record the deserializer rejects fails the job, naming its topic, partition and offset', async () => {
  const topic = await createTopic(admin, 'onceflow-bad-json', 1);
  await produce(kafka, topic, 0, ['{"n":1}', '{"n":2}', 'not json', '{"n":4}']);
  const running = startSource(kafkaSource({ kafka, topics: [topic], groupId: uniqueName('g'), deserializer: jsonDeserializer(), sessionTimeout: 6000 }));
  const error = await failure(running);
  assert.instance(error, KafkaDeserializationError);
  const rejected = error as KafkaDeserializationError;
  assert.equal([rejected.topic, rejected.partition, rejected.offset], [topic, 0, '2']);
  assert.match(rejected.message, /json deserializer rejected the record at offset 2 of .*-0/);
  assert.match(rejected.message, /deadLetterTopic/);
  // Those before it in the same fetch may not have been emitted either: a restored job reads them again.
  const values = running.records.map((r) => JSON.stringify(r.value));
  assert.ok(values.every((v) => v === '{"n":1}' || v === '{"n":2}'), `nothing after the rejected record: ${values.join(', ')}`);
});

test('with a dead-letter topic, a rejected record goes there with why, and the others go on', async () => {
  const topic = await createTopic(admin, 'onceflow-bad-json', 1);
  const deadLetters = await createTopic(admin, 'onceflow-dead-letters', 1);
  await produce(kafka, topic, 0, ['{"n":1}', 'not json', '{"n":3}']);
  const running = startSource(
    kafkaSource({ kafka, topics: [topic], groupId: uniqueName('g'), deserializer: jsonDeserializer(), deadLetterTopic: deadLetters, sessionTimeout: 6000 }),
  );
  const deadline = Date.now() + 20_000;
  while (running.records.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await running.close();
  assert.equal(
    running.records.map((r: KafkaRecord<unknown>) => r.value),
    [{ n: 1 }, { n: 3 }],
  );
  assert.ok(running.records.every((r) => r.timestamp > 0), 'each record carries its timestamp');
  const consumer = kafka.consumer({ groupId: uniqueName('dlq') });
  await consumer.connect();
  await consumer.subscribe({ topics: [deadLetters], fromBeginning: true });
  const headers = await new Promise<Record<string, string>>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) =>
        resolve({ value: message.value?.toString() ?? '', ...Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }),
    });
  });
  await consumer.disconnect();
  assert.is(headers.value, 'not json');
  assert.is(headers['onceflow-topic'], topic);
  assert.is(headers['onceflow-offset'], '1');
  assert.match(headers['onceflow-error'] ?? '', /JSON/);
});

test('an unknown topic fails the source and the sinks by name, and is not created', async () => {
  const missing = uniqueName('onceflow-missing');
  const error = await failure(startSource(kafkaSource({ kafka, topics: [missing], groupId: uniqueName('g'), deserializer: jsonDeserializer() })));
  assert.instance(error, KafkaUnknownTopicError);
  assert.match((error as Error).message, new RegExp(`topic '${missing}' that the kafka source reads does not exist`));

  const writer = await kafkaSink<string>({ kafka, topic: missing }).createWriter({ ...writerContext, restoredState: undefined });
  await writer.write('x');
  const sinkError = await rejection(Promise.resolve(writer.flush(false)));
  await writer.close();
  assert.instance((sinkError as Error).cause, KafkaUnknownTopicError);
  assert.not.ok((await admin.listTopics()).includes(missing), 'no topic was created on the way');
});

test('a record for a partition the topic lacks fails the sinks, where kafkajs would drop it', async () => {
  const topic = await createTopic(admin, 'onceflow-two-partitions', 2);
  const toMessage = (value: string) => ({ value, partition: value === 'bad' ? 5 : 0 });
  const writer = await kafkaSink<string>({ kafka, topic, toMessage }).createWriter({ ...writerContext, restoredState: undefined });
  await writer.write('good');
  await writer.write('bad');
  const error = await rejection(Promise.resolve(writer.flush(false)));
  await writer.close();
  assert.instance((error as Error).cause, KafkaUnknownPartitionError);
  assert.match((error as Error).message, /partition 5 of topic '.*', which has 2 partition\(s\)/);

  const transactional = kafkaTransactionalSink<string>({ kafka, topic, toMessage, transactionalIdPrefix: uniqueName('bad') });
  const txWriter = await transactional.createWriter({ ...writerContext, restoredState: undefined });
  const txError = await rejection(Promise.resolve(txWriter.write('bad')));
  assert.instance(txError, KafkaUnknownPartitionError);
  await txWriter.close();
  await transactional.createCommitter().close?.();
  assert.equal(await readTopic(kafka, topic, 1, 1000), ['good'], 'only the good record was written');
});

test('an unreachable broker fails the source and the sinks with a connection error', async () => {
  const nowhere = new Kafka({ clientId: 'nowhere', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 }, connectionTimeout: 500 });
  const error = await failure(startSource(kafkaSource({ kafka: nowhere, topics: ['t'], groupId: 'g', deserializer: jsonDeserializer() })));
  assert.instance(error, KafkaConnectionError);
  assert.match((error as Error).message, /could not connect to the Kafka brokers.*ECONNREFUSED|could not connect to the Kafka brokers/);
  const sinkError = await rejection(Promise.resolve(kafkaSink<string>({ kafka: nowhere, topic: 't' }).createWriter({ ...writerContext, restoredState: undefined })));
  assert.instance(sinkError, KafkaConnectionError);
  const txError = await rejection(Promise.resolve(kafkaTransactionalSink<string>({ kafka: nowhere, topic: 't' }).createWriter({ ...writerContext, restoredState: undefined })));
  assert.instance(txError, KafkaConnectionError);
});

test('a transaction timeout shorter than the checkpoint timeout, or above the broker limit, is refused naming the settings', async () => {
  const topic = await createTopic(admin, 'onceflow-tx-config', 1);
  try {
    kafkaTransactionalSink<string>({ kafka, topic, transactionTimeout: 10_000, checkpointTimeout: 30_000 });
    assert.unreachable('accepted');
  } catch (error) {
    assert.instance(error, KafkaTransactionConfigError);
    assert.match((error as Error).message, /transactionTimeout \(10000 ms\) is shorter than the checkpoint timeout \(30000 ms\)/);
  }
  const tooLong = kafkaTransactionalSink<string>({ kafka, topic, transactionTimeout: 3_600_000, transactionalIdPrefix: uniqueName('long') });
  const error = await rejection(Promise.resolve(tooLong.createWriter({ ...writerContext, restoredState: undefined })));
  await tooLong.createCommitter().close?.();
  assert.instance(error, KafkaTransactionConfigError);
  assert.match((error as Error).message, /transaction\.max\.timeout\.ms/);
});

test('a transactional sink whose output holds a later checkpoint than the store restores refuses to start', async () => {
  const topic = await createTopic(admin, 'onceflow-stale', 1);
  const transactionalIdPrefix = uniqueName('stale');
  const run = () =>
    pipeline({ id: 'stale-job', checkpoints: { interval: 5, store: memoryStore() }, logger: quiet, signals: false })
      .from(collectionSource(['a', 'b', 'c']))
      .to(kafkaTransactionalSink<string>({ kafka, topic, transactionalIdPrefix }))
      .run();
  await run();
  // A new, empty store: the job would start over and write a, b, c a second time.
  const error = await rejection(run());
  let cause: unknown = error;
  while (cause !== undefined && !(cause instanceof KafkaStaleCheckpointError)) cause = (cause as { cause?: unknown }).cause;
  assert.instance(cause, KafkaStaleCheckpointError, `got ${String(error)}`);
  assert.match((cause as Error).message, /already holds checkpoint \d+ of job 'stale-job'/);
  assert.equal((await readTopic(kafka, topic, 3, 1000)).sort(), ['a', 'b', 'c']);
});

test("a consumer that crashes fails the source through kafkajs's CRASH event instead of leaving it waiting", async () => {
  // Few retries, so kafkajs gives up on the deleted topic at once; consumer.run() resolved long before and never says so.
  const impatient = new Kafka({ clientId: 'impatient', brokers: requireServer('kafka').split(','), logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });
  const topic = await createTopic(admin, 'onceflow-deleted', 1);
  await produce(kafka, topic, 0, ['1', '2']);
  const running = startSource(kafkaSource({ kafka: impatient, topics: [topic], groupId: uniqueName('g'), deserializer: jsonDeserializer(), sessionTimeout: 6000, discoveryInterval: 0 }));
  const deadline = Date.now() + 20_000;
  while (running.records.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await admin.deleteTopics({ topics: [topic] });
  const error = await failure(running);
  assert.instance(error, KafkaConsumerCrashedError, `got ${String(error)}`);
  assert.match((error as Error).message, /consumer of group '.*' crashed/);
});

test.run();
