// What the Kafka source does beyond the connector kit: where a first start begins, offsets
// committed back on checkpoint completion, and topics found by pattern while it runs.
import { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { map, memoryStore, pipeline } from 'onceflow';
import { kafkaSource, stringDeserializer } from 'onceflow/kafka';
import type { KafkaRecord } from 'onceflow/kafka';
import { memorySink, startSource } from 'onceflow/testing';
import type { RunningSource } from 'onceflow/testing';
import { requireServer, uniqueName } from '../env.js';
import { createTopic, produce, testKafka } from './helpers.js';

const kafka = testKafka('onceflow-source');
const admin = kafka.admin();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const values = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

test.before(() => admin.connect());
test.after(() => admin.disconnect());

async function until(running: RunningSource<KafkaRecord<string>>, count: number, timeout = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeout;
  while (running.records.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return running.records.map((r) => r.value);
}

/** Sockets of this process open to the broker: a client closed too early leaves one, and the process never exits. */
function brokerSockets(): number {
  const port = Number(requireServer('kafka').split(',')[0]?.split(':')[1]);
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((handle) => handle instanceof Socket && handle.remotePort === port && !handle.destroyed).length;
}

test('a source closed while it starts leaves no connection to the broker open', async () => {
  const topic = await createTopic(admin, 'onceflow-early-close', 1);
  const before = brokerSockets();
  // Each delay closes it at another point of its start: before it connects, while it connects, while it looks for partitions.
  for (const delay of [0, 1, 3, 8, 20, 50, 100, 200]) {
    const running = startSource(kafkaSource({ kafka, topics: [topic], groupId: uniqueName('g'), deserializer: stringDeserializer(), sessionTimeout: 6000 }));
    await new Promise((resolve) => setTimeout(resolve, delay));
    await running.close();
  }
  // A consumer's last socket may take a moment to close after disconnect() resolves; a leaked one stays.
  const deadline = Date.now() + 5000;
  while (brokerSockets() > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.is(brokerSockets(), before);
});

test('a first start begins at the group’s committed offsets', async () => {
  const topic = await createTopic(admin, 'onceflow-committed', 1);
  await produce(kafka, topic, 0, values('v', 10));
  const groupId = uniqueName('g');
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '6' }] });
  const running = startSource(kafkaSource({ kafka, topics: [topic], groupId, deserializer: stringDeserializer(), sessionTimeout: 6000 }));
  const read = await until(running, 4);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await running.close();
  assert.equal(read, ['v6', 'v7', 'v8', 'v9']);
  assert.is(running.records.length, 4);
});

test("without committed offsets, startingOffsets: 'latest' reads only what comes after the start", async () => {
  const topic = await createTopic(admin, 'onceflow-latest', 1);
  await produce(kafka, topic, 0, values('old', 5));
  const running = startSource(kafkaSource({ kafka, topics: [topic], groupId: uniqueName('g'), deserializer: stringDeserializer(), startingOffsets: 'latest', sessionTimeout: 6000 }));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await produce(kafka, topic, 0, values('new', 3));
  const read = await until(running, 3);
  await running.close();
  assert.equal(read, ['new0', 'new1', 'new2']);
});

test('completed checkpoints commit their offsets to the group, where lag tools see them', async () => {
  const topic = await createTopic(admin, 'onceflow-commit', 2);
  await produce(kafka, topic, 0, values('a', 30));
  await produce(kafka, topic, 1, values('b', 20));
  const groupId = uniqueName('g');
  const sink = memorySink<string>();
  const handle = pipeline({ id: uniqueName('commit-job'), checkpoints: { interval: 20, store: memoryStore() }, logger: quiet, signals: false })
    .from(kafkaSource({ kafka, topics: [topic], groupId, deserializer: stringDeserializer(), sessionTimeout: 6000 }))
    .pipe(map((record) => record.value))
    .to(sink)
    .start();
  const committed = async () => ((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? []).map((p) => [p.partition, p.offset]).sort();
  const expected = [
    [0, '30'],
    [1, '20'],
  ];
  const deadline = Date.now() + 20_000;
  while (JSON.stringify(await committed()) !== JSON.stringify(expected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  await handle.stop();
  assert.equal(await committed(), expected);
  assert.is(sink.committed.length, 50);
});

test('a topic created while the job runs is found when it matches the pattern', async () => {
  const prefix = uniqueName('onceflow-pattern');
  const first = `${prefix}-one`;
  await admin.createTopics({ topics: [{ topic: first, numPartitions: 1 }], waitForLeaders: true });
  await produce(kafka, first, 0, values('one', 5));
  const running = startSource(
    kafkaSource({ kafka, topicPattern: new RegExp(`^${prefix}-`), groupId: uniqueName('g'), deserializer: stringDeserializer(), discoveryInterval: 200, sessionTimeout: 6000 }),
  );
  await until(running, 5);
  const second = `${prefix}-two`;
  await admin.createTopics({ topics: [{ topic: second, numPartitions: 1 }], waitForLeaders: true });
  await produce(kafka, second, 0, values('two', 5));
  const read = await until(running, 10, 30_000);
  await running.close();
  assert.equal([...read].sort(), [...values('one', 5), ...values('two', 5)].sort());
});

test.run();
