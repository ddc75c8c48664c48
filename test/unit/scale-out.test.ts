// A scaled-out Kafka job refuses, before any process joins the group, keyed state whose key nothing
// proves to follow the partitioning; keyByMessageKey keys records by their message key, or fails
// naming a record it cannot key. No broker is contacted: building the job does not connect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { collectionSource, count, countWindow, filter, keyBy, map, memoryStore, pipeline, reduce, uid, ConfigurationError } from 'onceflow';
import type { Flow, Guarantee, Job } from 'onceflow';
import { jsonDeserializer, kafkaRepartition, kafkaSink, kafkaTransactionalSink, keyByMessageKey, scaledOutKafkaJob, KafkaRecordKeyError, UnpartitionedKeyError } from 'onceflow/kafka';
import type { KafkaPartitionInput, KafkaRecord } from 'onceflow/kafka';
import { applyOperator } from 'onceflow/testing';

interface Click {
  readonly user: string;
  readonly page: string;
}

// Never connected to: constructing clients and sinks opens no connection.
const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
const store = memoryStore();
const base = { id: 'clicks', kafka, topics: ['clicks'], deserializer: jsonDeserializer<Click>(), signals: false } as const;
const stream = (input: KafkaPartitionInput<Click>) => pipeline({ id: input.id, guarantee: 'exactly-once', checkpoints: { interval: 1000, store } }).from(input.source);
const out = () => kafkaTransactionalSink<string>({ kafka, topic: 'counts' });

function refusal(build: (input: KafkaPartitionInput<Click>) => Job<Guarantee>): UnpartitionedKeyError {
  try {
    scaledOutKafkaJob({ ...base, build });
  } catch (error) {
    assert.instance(error, UnpartitionedKeyError);
    return error as UnpartitionedKeyError;
  }
  throw new Error('the job was accepted');
}

test('a count keyed by a field that is not the message key is refused, naming the operator and the fix', () => {
  const error = refusal((input) =>
    stream(input)
      .pipe(
        keyBy((r: KafkaRecord<Click>) => r.value.page),
        count(),
        map(({ key, value }) => `${key}=${value}`),
      )
      .to(out()),
  );
  assert.is(error.operatorId, '1-reduce');
  assert.match(error.message, "operator '1-reduce' keeps state per key, but its key comes from '0-keyBy'");
  assert.match(error.message, 'keyByMessageKey()');
  assert.match(error.message, 'kafkaRepartition');
  assert.instance(error, Error);
  assert.is((error as { retriable?: boolean }).retriable, false);
});

test('a key remade after keyByMessageKey, or keyed state straight off the source, is refused', () => {
  const remade = refusal((input) =>
    stream(input)
      .pipe(
        keyByMessageKey(),
        map(({ value }) => ({ key: value.value.page, value })),
        countWindow(2),
        map(({ key }) => key),
      )
      .to(out()),
  );
  assert.match(remade.message, "operator '2-countWindow' keeps state per key, but its key comes from '1-map'");
  const unkeyed = refusal((input) =>
    stream(input)
      .pipe(
        map((r) => ({ key: r.value.user, value: r.value })),
        uid('totals', reduce((n: number) => n + 1, () => 0)),
        map(({ key, value }) => `${key}=${value}`),
      )
      .to(out()),
  );
  assert.is(unkeyed.operatorId, 'totals');
});

test('keyed state after keyByMessageKey, with key-keeping operators between, is accepted', () => {
  const job = scaledOutKafkaJob({
    ...base,
    build: (input) =>
      stream(input)
        .pipe(
          keyByMessageKey(),
          filter(({ value }) => value.value.page !== ''),
          uid('counts', count()),
          countWindow(2),
          map(({ key, value }) => `${key}=${value.length}`),
        )
        .to(out()),
  });
  assert.is(job.guarantee, 'exactly-once');
  assert.is(job.id, 'clicks');
});

test('the stage after a repartition keys by the new key through keyByMessageKey', () => {
  const byPage = kafkaRepartition<Click>({ kafka, topic: 'clicks-by-page', key: (c) => c.page });
  const first = scaledOutKafkaJob({ ...base, build: (input) => stream(input).pipe(map((r: KafkaRecord<Click>) => r.value)).to(byPage.sink()) });
  assert.is(first.guarantee, 'exactly-once');
  const second = byPage.job({
    id: 'page-counts',
    signals: false,
    build: (input) =>
      pipeline({ id: input.id, guarantee: 'exactly-once', checkpoints: { interval: 1000, store } })
        .from(input.source)
        .pipe(keyByMessageKey(), count(), map(({ key, value }) => `${key}=${value}`))
        .to(out()),
  });
  assert.is(second.guarantee, 'exactly-once');
});

test('a partition job with another id, another source, or no shared store is refused', () => {
  assert.throws(
    () => scaledOutKafkaJob({ ...base, build: (input) => pipeline({ id: input.id, checkpoints: { interval: 1000, store } }).from(collectionSource(['a'])).to(kafkaSink({ kafka, topic: 't' })) }),
    (error: unknown) => error instanceof ConfigurationError && /reads source 'collection', but a partition's job must read only the partition source it is given/.test(error.message),
  );
  assert.throws(
    () => scaledOutKafkaJob({ ...base, build: (input) => pipeline({ id: 'mine', checkpoints: { interval: 1000, store } }).from(input.source).pipe(map((r) => r.offset)).to(kafkaSink({ kafka, topic: 't' })) }),
    (error: unknown) => error instanceof ConfigurationError && /has id 'mine': give it input.id \('clicks.clicks-0'\)/.test(error.message),
  );
  assert.throws(
    () => scaledOutKafkaJob({ ...base, build: (input) => pipeline({ id: input.id, checkpoints: { interval: 1000 } }).from(input.source).pipe(map((r) => r.offset)).to(kafkaSink({ kafka, topic: 't' })) }),
    (error: unknown) => error instanceof ConfigurationError && /checkpoints.store: redisStore/.test(error.message),
  );
});

function record(key: Buffer | null): KafkaRecord<string> {
  return { topic: 't', partition: 2, offset: '7', timestamp: 0, key, headers: {}, value: 'v' };
}

async function keyed(key: Buffer | null, encoding?: 'utf8' | 'hex'): Promise<string[]> {
  const { output } = applyOperator(keyByMessageKey<string>(encoding), from([record(key)]) as Flow<KafkaRecord<string>>);
  return (await lastValueFrom(output.pipe(toArray()))).map((r) => (r as { key: string }).key);
}

test('keyByMessageKey keys by the message key as text, and fails naming a record it cannot key', async () => {
  assert.equal(await keyed(Buffer.from('user-7')), ['user-7']);
  assert.equal(await keyed(Buffer.from([0xff, 0x01]), 'hex'), ['ff01']);
  for (const [key, expected] of [
    [null, 'the record at offset 7 of t-2 has no message key'],
    [Buffer.from([0xff, 0x01]), "is not UTF-8 text (0xff01): use keyByMessageKey('base64')"],
  ] as const) {
    try {
      await keyed(key);
      assert.unreachable('keyed');
    } catch (error) {
      const cause = error instanceof KafkaRecordKeyError ? error : (error as { cause?: unknown }).cause;
      assert.instance(cause, KafkaRecordKeyError, String(error));
      assert.match((cause as Error).message, expected);
    }
  }
});

test.run();
