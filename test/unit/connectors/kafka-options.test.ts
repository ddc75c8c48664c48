// Options of the Kafka connectors that cannot work are refused when the connector is built,
// naming the option; no broker is needed to find out.
import { Kafka } from 'kafkajs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigurationError } from 'onceflow';
import { KafkaTransactionConfigError, bufferDeserializer, jsonDeserializer, kafkaSink, kafkaSource, kafkaTransactionalSink, stringDeserializer } from 'onceflow/kafka';

const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
const metadata = { topic: 't', partition: 0, offset: '0', key: null, headers: {} };

function refused(build: () => unknown, type: new (...args: never[]) => Error, message: RegExp): void {
  try {
    build();
  } catch (error) {
    assert.instance(error, type);
    assert.match((error as Error).message, message);
    return;
  }
  assert.unreachable('accepted');
}

test('the source needs exactly one of topics and topicPattern, a group, and a dead-letter topic it does not read', () => {
  const deserializer = stringDeserializer();
  refused(() => kafkaSource({ kafka, groupId: 'g', deserializer }), ConfigurationError, /exactly one of the options topics .* and topicPattern/);
  refused(() => kafkaSource({ kafka, topics: ['a'], topicPattern: /a/, groupId: 'g', deserializer }), ConfigurationError, /exactly one of/);
  refused(() => kafkaSource({ kafka, topics: ['a'], groupId: '', deserializer }), ConfigurationError, /groupId/);
  refused(() => kafkaSource({ kafka, topics: ['a'], groupId: 'g', deserializer, deadLetterTopic: 'a' }), ConfigurationError, /deadLetterTopic must name a topic other than those it reads/);
  refused(() => kafkaSource({ kafka, topics: ['a'], groupId: 'g', deserializer, discoveryInterval: -1 }), ConfigurationError, /discoveryInterval/);
  refused(() => kafkaSource({ kafka, topics: ['a'], groupId: 'g', deserializer, startingOffsets: 'middle' as 'latest' }), ConfigurationError, /startingOffsets/);
});

test('the sinks refuse acks, sizes and transaction timeouts that cannot work', () => {
  refused(() => kafkaSink({ kafka, topic: 't', acks: 2 as 1 }), ConfigurationError, /acks must be -1, 0 or 1/);
  refused(() => kafkaSink({ kafka, topic: 't', maxBatchBytes: 0 }), ConfigurationError, /maxBatchBytes/);
  refused(() => kafkaTransactionalSink({ kafka, topic: '' }), ConfigurationError, /topic/);
  refused(() => kafkaTransactionalSink({ kafka, topic: 't', transactionTimeout: 500 }), ConfigurationError, /transactionTimeout must be a whole number >= 1000/);
  refused(
    () => kafkaTransactionalSink({ kafka, topic: 't', transactionTimeout: 30_000 }),
    KafkaTransactionConfigError,
    /transactionTimeout \(30000 ms\) is shorter than the checkpoint timeout \(60000 ms\): raise transactionTimeout .* or lower the job's checkpoints.timeout and this sink's checkpointTimeout/,
  );
});

test('deserializers: text must be UTF-8, JSON must parse, a tombstone is rejected unless bytes are asked for', () => {
  assert.is(stringDeserializer().deserialize(Buffer.from('héllo'), metadata), 'héllo');
  assert.throws(() => stringDeserializer().deserialize(Buffer.from([0xff, 0xfe]), metadata));
  assert.throws(() => stringDeserializer().deserialize(null, metadata), /tombstone/);
  assert.equal(jsonDeserializer().deserialize(Buffer.from('{"a":1}'), metadata), { a: 1 });
  assert.throws(() => jsonDeserializer().deserialize(Buffer.from('{'), metadata));
  const positive = jsonDeserializer((value) => {
    if (typeof value !== 'number' || value <= 0) throw new Error('not a positive number');
    return value;
  });
  assert.is(positive.deserialize(Buffer.from('3'), metadata), 3);
  assert.throws(() => positive.deserialize(Buffer.from('-3'), metadata), /not a positive number/);
  assert.is(bufferDeserializer().deserialize(null, metadata), null);
});

test.run();
