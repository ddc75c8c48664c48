/**
 * Figures 7a and 7b: records/s of topic -> map -> topic through Kafka, each
 * onceflow sink against the plain kafkajs loop it replaces, on the same broker
 * and input, interleaved: (a) the at-least-once sink against a consume-then-
 * produce loop (eachBatch, acks=-1, idempotent producer); (b) the
 * transactional sink with 1 s checkpoints (in a file store) against the
 * classic consume-transform-produce loop with one transaction a second and
 * `sendOffsets` inside it; (c) p50/p99 end-to-end latency of each sink, from
 * produce to visibility for a read_committed consumer of the output, at a
 * steady 5k records/s. Needs a broker: ONCEFLOW_KAFKA_BROKERS (run.ts
 * skips it when unset). 200k records of 100 bytes over 4 partitions; 1M with --full.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Message } from 'kafkajs';
import { fileStore, map, memoryStore, pipeline } from 'onceflow';
import { kafkaSink, kafkaSource, kafkaTransactionalSink, stringDeserializer } from 'onceflow/kafka';
import type { BenchOptions, Figure } from './measure.js';
import { interleaved, percentile, rateFigure, runIfMain } from './measure.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let unique = 0;
const name = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${unique++}`;

async function kafkaThroughput({ full }: BenchOptions): Promise<Figure[]> {
  const brokers = process.env.ONCEFLOW_KAFKA_BROKERS;
  if (!brokers) throw new Error('ONCEFLOW_KAFKA_BROKERS is not set: start a broker (npm run services -- up kafka) and export what it prints');
  const kafka = new Kafka({ clientId: 'onceflow-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const records = full ? 1_000_000 : 200_000;
  const runs = full ? 3 : 2;
  const admin = kafka.admin();
  await admin.connect();
  const topic = async (prefix: string): Promise<string> => {
    const created = name(prefix);
    await admin.createTopics({ topics: [{ topic: created, numPartitions: 4 }], waitForLeaders: true });
    return created;
  };
  const input = await topic('bench-in');
  const filler = 'x'.repeat(90);
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < records; i += 2000) {
    const messages = Array.from({ length: Math.min(2000, records - i) }, (_, j) => ({ key: String((i + j) % 1000), value: `${String(i + j).padStart(9, '0')} ${filler}` }));
    await producer.send({ topic: input, acks: -1, messages });
  }
  await producer.disconnect();
  const transform = (value: string): string => value.toUpperCase();

  /** Consume `input` from the beginning in a new group until `records` went out, as `eachBatch` hands them. */
  async function plainLoop(transactional: boolean): Promise<void> {
    const output = await topic('bench-plain');
    const groupId = name('bench-plain');
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    const out = transactional
      ? kafka.producer({ transactionalId: name('bench-plain-tx'), idempotent: true, maxInFlightRequests: 1 })
      : kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([consumer.connect(), out.connect()]);
    await consumer.subscribe({ topics: [input], fromBeginning: true });
    let done = 0;
    let transaction = transactional ? await out.transaction() : undefined;
    let opened = Date.now();
    const offsets = new Map<number, string>();
    await new Promise<void>((resolve, reject) => {
      void consumer
        .run({
          autoCommit: !transactional,
          eachBatch: async ({ batch }) => {
            const messages: Message[] = batch.messages.map((m) => ({ key: m.key, value: transform(m.value?.toString() ?? '') }));
            if (transaction) await transaction.send({ topic: output, messages });
            else await out.send({ topic: output, acks: -1, messages });
            offsets.set(batch.partition, String(Number(batch.lastOffset()) + 1));
            done += messages.length;
            if (transaction && (Date.now() - opened >= 1000 || done >= records)) {
              await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })) }] });
              await transaction.commit();
              transaction = done >= records ? undefined : await out.transaction();
              opened = Date.now();
            }
            if (done >= records) resolve();
          },
        })
        .catch(reject);
    });
    await Promise.all([consumer.disconnect(), out.disconnect()]);
  }

  async function onceflowJob(transactional: boolean): Promise<void> {
    const output = await topic('bench-onceflow');
    const directory = mkdtempSync(join(tmpdir(), 'onceflow-bench-kafka-'));
    try {
      const stream = pipeline({ id: name('bench-job'), checkpoints: { interval: 1000, store: transactional ? fileStore({ directory }) : memoryStore() }, logger: quiet, signals: false })
        .from(kafkaSource({ kafka, topics: [input], groupId: name('bench-onceflow'), deserializer: stringDeserializer(), bounded: true, sessionTimeout: 6000 }))
        .pipe(map((record) => transform(record.value)));
      if (transactional) await stream.to(kafkaTransactionalSink<string>({ kafka, topic: output })).run();
      else await stream.to(kafkaSink<string>({ kafka, topic: output })).run();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }

  /** Produce at a steady rate into a fresh topic while the job runs; the output carries each record's produce time. */
  async function latencies(transactional: boolean): Promise<number[]> {
    const source = await topic('bench-latency-in');
    const output = await topic('bench-latency-out');
    const seconds = full ? 20 : 8;
    const rate = 5000;
    const handle = pipeline({ id: name('bench-latency'), checkpoints: { interval: 1000, store: memoryStore() }, logger: quiet, signals: false })
      .from(kafkaSource({ kafka, topics: [source], groupId: name('bench-latency'), deserializer: stringDeserializer(), sessionTimeout: 6000 }))
      .pipe(map((record) => record.value));
    const job = transactional ? handle.to(kafkaTransactionalSink<string>({ kafka, topic: output })) : handle.to(kafkaSink<string>({ kafka, topic: output }));
    const running = job.start();
    const seen: number[] = [];
    const consumer = kafka.consumer({ groupId: name('bench-latency-read'), readUncommitted: false, maxWaitTimeInMs: 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: [output], fromBeginning: true });
    void consumer.run({ eachBatch: async ({ batch }) => void seen.push(...batch.messages.map((m) => Date.now() - Number(m.value?.toString().slice(0, 13)))) });
    const writer = kafka.producer();
    await writer.connect();
    const total = seconds * rate;
    const started = Date.now();
    for (let sent = 0; sent < total; sent += rate / 20) {
      const due = started + (sent / rate) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await writer.send({ topic: source, acks: 1, messages: Array.from({ length: rate / 20 }, () => ({ value: `${Date.now()} ${filler}` })) });
    }
    const deadline = Date.now() + 30_000;
    while (seen.length < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.disconnect();
    await consumer.disconnect();
    await running.stop();
    // The first seconds include the job's start (joining the group): steady state only.
    return seen.slice(Math.floor(seen.length / 4));
  }

  const atLeastOnce = await interleaved(runs, () => onceflowJob(false), () => plainLoop(false));
  const exactlyOnce = await interleaved(runs, () => onceflowJob(true), () => plainLoop(true));
  const latencyAtLeastOnce = await latencies(false);
  const latencyExactlyOnce = await latencies(true);
  await admin.disconnect();
  const latencyFigure = (figure: string, samples: number[]): Figure => ({
    figure,
    unit: 'ms',
    measured: percentile(samples, 50),
    details: { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length, rate: '5000 records/s' },
  });
  return [
    latencyFigure('7c. Kafka end-to-end latency p50 (p99 in details), kafkaSink, produce to visible', latencyAtLeastOnce),
    latencyFigure('7d. Kafka end-to-end latency p50 (p99 in details), kafkaTransactionalSink with 1 s checkpoints, produce to read_committed visible', latencyExactlyOnce),
    {
      figure: '7a. Kafka topic -> map -> topic, kafkaSink vs a kafkajs consume-then-produce loop (acks=-1, idempotent)',
      ...rateFigure(records, atLeastOnce.a, atLeastOnce.b),
      target: { op: '>=', value: 0.9 },
      details: { records, runs, onceflowSeconds: atLeastOnce.a, plainSeconds: atLeastOnce.b },
    },
    {
      figure: '7b. Kafka topic -> map -> topic, kafkaTransactionalSink (1 s checkpoints) vs kafkajs consume-transform-produce (a transaction a second)',
      ...rateFigure(records, exactlyOnce.a, exactlyOnce.b),
      target: { op: '>=', value: 0.9 },
      details: { records, runs, onceflowSeconds: exactlyOnce.a, plainSeconds: exactlyOnce.b },
    },
  ];
}

runIfMain(import.meta.url, kafkaThroughput);
