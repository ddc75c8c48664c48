/** Kafka 3.9 in KRaft mode, one node acting as broker and controller. */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { ServerFailedToStart, jvmOptions, logTail, mavenClasspath, runLogged, servicesDir, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

const probeTopic = 'onceflow-services-probe';

async function probe(address: string): Promise<void> {
  // Short retries: a closed port should fail fast, and waitReady probes again each second.
  const kafka = new Kafka({ clientId: 'onceflow-services', brokers: [address], logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 3, initialRetryTime: 100 } });
  const admin = kafka.admin();
  // Transactional, so the probe also waits out the creation of __transaction_state: a
  // broker that passes it takes a transactional produce from the first test at once.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, transactionalId: 'onceflow-services-probe', idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `onceflow-services-probe-${randomUUID()}` });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: probeTopic }], waitForLeaders: true });
    const value = randomUUID();
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic: probeTopic, messages: [{ value }] });
    await transaction.commit();
    // Reading it back through a consumer group also brings up __consumer_offsets,
    // which the first test would otherwise wait for.
    await consumer.connect();
    await consumer.subscribe({ topic: probeTopic, fromBeginning: true });
    // Bounded here, not only by the caller's timeout, so the finally below always runs.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the probe record was not consumed within 20s')), 20_000);
      const seen = (): void => {
        clearTimeout(timer);
        resolve();
      };
      consumer.run({ eachMessage: async ({ message }) => void (message.value?.toString() === value && seen()) }).catch(reject);
    });
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

async function start(dir: string, log: string): Promise<number> {
  const classpath = await mavenClasspath('kafka');
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, `${readFileSync(join(servicesDir, 'kafka', 'server.properties'), 'utf8')}log.dirs=${join(dir, 'data')}\n`);
  const jvm = [...jvmOptions('512m', [`-Dlog4j.configuration=file:${join(servicesDir, 'kafka', 'log4j.properties')}`]), '-cp', classpath];
  // KRaft refuses to start on an unformatted log dir; a fresh dir gets a fresh cluster id
  // (Kafka's Uuid: 16 random bytes in URL-safe base64).
  const format = await runLogged('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', randomBytes(16).toString('base64url'), '-c', properties], { cwd: dir, log });
  if (format !== 0) throw new ServerFailedToStart(`kafka storage format failed (exit ${format})\n${logTail(log)}`);
  return spawnDetached('java', [...jvm, 'kafka.Kafka', properties], { cwd: dir, log });
}

async function startAgain(dir: string, log: string): Promise<number> {
  const classpath = await mavenClasspath('kafka');
  const jvm = [...jvmOptions('512m', [`-Dlog4j.configuration=file:${join(servicesDir, 'kafka', 'log4j.properties')}`]), '-cp', classpath];
  return spawnDetached('java', [...jvm, 'kafka.Kafka', join(dir, 'server.properties')], { cwd: dir, log });
}

export const kafka: Server = { name: 'kafka', address: '127.0.0.1:9092', probe, start, startAgain, startTimeoutMs: 120_000 };
