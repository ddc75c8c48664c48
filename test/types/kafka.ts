// Type-level rules for the Kafka connectors: what each may feed.
import { Kafka } from 'kafkajs';
import { map, pipeline, socketSource } from 'onceflow';
import type { Job } from 'onceflow';
import { kafkaSink, kafkaSource, kafkaTransactionalSink, stringDeserializer } from 'onceflow/kafka';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;
const kafka = new Kafka({ brokers: ['127.0.0.1:9092'] });
const source = () => kafkaSource({ kafka, topics: ['in'], groupId: 'g', deserializer: stringDeserializer() });

// The source rewinds partitions to stored offsets: it may feed the transactional sink, exactly-once end to end.
const exact = pipeline({ ...checked, guarantee: 'exactly-once' })
  .from(source())
  .pipe(map((record) => record.value))
  .to(kafkaTransactionalSink<string>({ kafka, topic: 'out' }));
expectType<Equal<typeof exact, Job<'exactly-once'>>>();
// The at-least-once sink is what it says.
const atLeast = pipeline(checked).from(source()).to(kafkaSink({ kafka, topic: 'out', toMessage: (record) => ({ key: record.key, value: record.value }) }));
expectType<Equal<typeof atLeast, Job<'at-least-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(source()).to(kafkaSink<unknown>({ kafka, topic: 'out' }));
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
pipeline(checked).from(socketSource({ host: '127.0.0.1', port: 9 })).to(kafkaTransactionalSink<string>({ kafka, topic: 'out' }));
