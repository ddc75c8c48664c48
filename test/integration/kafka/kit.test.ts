// The Kafka connectors through the connector test kit, against the real broker.
import { test } from 'uvu';
import { kafkaSink, kafkaSource, kafkaTransactionalSink, stringDeserializer } from 'onceflow/kafka';
import type { KafkaRecord } from 'onceflow/kafka';
import { sinkTestCases, sourceTestCases } from 'onceflow/testing';
import type { ConnectorTestCase, SourceTestContext } from 'onceflow/testing';
import { runSeed, seededRandom } from '../../fault/random.js';
import { uniqueName } from '../env.js';
import { createTopic, produce, readTopic, testKafka } from './helpers.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`kafka kit seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

const kafka = testKafka('onceflow-kit');
const admin = kafka.admin();
let topic = '';
let partitions = 0;
let groupId = '';

test.before(async () => {
  await admin.connect();
});
test.after(async () => {
  await admin.disconnect();
});

// A split is a partition: the topic starts with one, and each further split adds one.
const sourceContext: SourceTestContext<KafkaRecord<string>> = {
  name: 'kafkaSource',
  async setUp() {
    topic = await createTopic(admin, 'onceflow-kit-source', 1);
    partitions = 0;
    groupId = uniqueName('onceflow-kit-group');
  },
  async tearDown() {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  },
  async addSplit(lines) {
    const partition = partitions++;
    if (partition > 0) await admin.createPartitions({ topicPartitions: [{ topic, count: partition + 1 }] });
    await produce(kafka, topic, partition, lines);
  },
  createSource: () => kafkaSource({ kafka, topics: [topic], groupId, deserializer: stringDeserializer(), discoveryInterval: 200, sessionTimeout: 6000 }),
  text: (record) => record.value,
  discoversSplits: true,
};
register(sourceTestCases(sourceContext, { random, timeout: 30_000 }));

// Sinks: a fresh topic per case, read back by a read_committed consumer.
let sinkTopic = '';
let transactionalIdPrefix = '';
const sinkSystem = {
  async setUp() {
    sinkTopic = await createTopic(admin, 'onceflow-kit-sink', 2);
    transactionalIdPrefix = uniqueName('onceflow-kit');
  },
  async tearDown() {
    await admin.deleteTopics({ topics: [sinkTopic] }).catch(() => {});
  },
  read: () => readTopic(kafka, sinkTopic, 900),
};
register(sinkTestCases({ name: 'kafkaSink', ...sinkSystem, createSink: () => kafkaSink<string>({ kafka, topic: sinkTopic }) }, { random, timeout: 30_000 }));
register(
  sinkTestCases(
    { name: 'kafkaTransactionalSink', ...sinkSystem, createSink: () => kafkaTransactionalSink<string>({ kafka, topic: sinkTopic, transactionalIdPrefix }) },
    { random, timeout: 30_000 },
  ),
);

test.run();
