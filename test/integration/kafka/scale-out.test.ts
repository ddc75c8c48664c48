// Scale-out: two processes run the same jobs in one consumer group with one Redis snapshot store
// (fixtures/scale-out-job.ts). The second joining moves partitions from the first (a rebalance:
// stopped, lock released, restored by the new owner); then the first is SIGKILLed while input
// still arrives, and the second takes over its partitions once the group's session and the locks'
// leases run out. A read_committed consumer of the outputs must see every count exactly once:
// per user (the message key) and per page (a field, through the repartition topic).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import type { Consumer } from 'kafkajs';
import { pipeline, stdoutSink } from 'onceflow';
import { jsonDeserializer, KafkaUnknownTopicError, scaledOutKafkaJob } from 'onceflow/kafka';
import { redisStore } from 'onceflow/redis';
import { requireServer, uniqueName } from '../env.js';
import { spawnJob, until } from '../sigkill-runs.js';
import { assertExactlyOnce, createTopic, testKafka } from './helpers.js';

const brokers = requireServer('kafka');
const redisUrl = requireServer('redis');
const kafka = testKafka('onceflow-scale-out');
const script = new URL('./fixtures/scale-out-job.ts', import.meta.url);
const records = 6000;
const users = 30;
const pages = 7;

/** Every value of `topics` as a read_committed consumer sees them, collected as they come. */
async function collect(topics: string[]): Promise<{ values: Map<string, string[]>; stop: () => Promise<void> }> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('onceflow-scale-out-read'), readUncommitted: false, maxWaitTimeInMs: 200 });
  const values = new Map(topics.map((t) => [t, [] as string[]]));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, message }) => void values.get(topic)?.push(message.value?.toString() ?? '') });
  return { values, stop: () => consumer.disconnect() };
}

/** The partitions the last rebalance gave `job` in a process, from its `assigned` lines. */
function lastAssignment(stdout: string, job: string): string[] {
  const lines = stdout.split('\n').filter((line) => line.startsWith(`assigned ${job} `));
  return (lines.at(-1)?.split(' ')[2] ?? '').split(',').filter(Boolean);
}

test(`two processes in one group, one SIGKILLed mid-run: the other takes over its partitions and ${records} records are counted exactly once per user and per page`, async () => {
  const admin = kafka.admin();
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  await redis.connect();
  const prefix = uniqueName('scale');
  const input = await createTopic(admin, 'onceflow-scale-in', 4);
  const repartition = await createTopic(admin, 'onceflow-scale-by-page', 2);
  const userOut = await createTopic(admin, 'onceflow-scale-users', 1);
  const pageOut = await createTopic(admin, 'onceflow-scale-pages', 1);
  const outputs = await collect([userOut, pageOut]);
  const producer = kafka.producer();
  await producer.connect();
  const perUser = new Map<string, number>();
  const perPage = new Map<string, number>();
  let sent = 0;
  /** The next `n` clicks, keyed by user: the producer's partitioner places them. */
  const send = async (n: number): Promise<void> => {
    const messages = [];
    for (const end = sent + n; sent < end; sent++) {
      const click = { user: `u${sent % users}`, page: `p${(sent * 7 + Math.floor(sent / users)) % pages}`, n: sent };
      perUser.set(click.user, (perUser.get(click.user) ?? 0) + 1);
      perPage.set(click.page, (perPage.get(click.page) ?? 0) + 1);
      messages.push({ key: click.user, value: JSON.stringify(click) });
    }
    await producer.send({ topic: input, acks: -1, messages });
  };
  const args = [brokers, redisUrl, prefix, input, repartition, userOut, pageOut];
  const first = spawnJob(script, args);
  let second: typeof first | undefined;
  const log = () => `first:\n${first.output()}\nsecond:\n${second?.output() ?? '(not started)'}`;
  const owns = (run: typeof first, job: string) => () => run.stdout().includes(`checkpoint ${prefix}-${job}.`);
  try {
    await send(records / 4);
    await until(owns(first, 'users'), 60_000, () => `the first process to checkpoint a partition:\n${log()}`);
    second = spawnJob(script, args);
    await send(records / 4);
    // The second process joins: the group moves partitions of each job to it.
    await until(owns(second, 'users'), 60_000, () => `the second process to own and checkpoint a partition:\n${log()}`);
    await send(records / 4);
    const held = lastAssignment(first.stdout(), `${prefix}-users`);
    assert.ok(held.length > 0 && held.length < 4, `the first process owns some partitions of the input when it is killed: ${held.join(', ')}`);
    first.child.kill('SIGKILL');
    await first.exited;
    await send(records / 4);
    await until(
      () => (outputs.values.get(userOut)?.length ?? 0) >= records && (outputs.values.get(pageOut)?.length ?? 0) >= records,
      90_000,
      () => `every count (users ${outputs.values.get(userOut)?.length}, pages ${outputs.values.get(pageOut)?.length} of ${records}):\n${log()}`,
    );
    assert.is(lastAssignment(second.stdout(), `${prefix}-users`).length, 4, `the second process took over every partition:\n${log()}`);
    // Anything written twice would show up within a few checkpoints.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    second.child.kill('SIGTERM');
    const ended = await Promise.race([second.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref())]);
    assert.ok(ended, `the second process exits within 30 s of SIGTERM:\n${log()}`);
    assert.is(ended?.code, 0, `the second process exits cleanly:\n${log()}`);
    assertExactlyOnce(outputs.values.get(userOut) ?? [], perUser);
    assertExactlyOnce(outputs.values.get(pageOut) ?? [], perPage);
    // The group is the real one: lag tools see the offsets the partitions' checkpoints committed.
    const committed = await admin.fetchOffsets({ groupId: `${prefix}-users`, topics: [input] });
    const total = (committed[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    assert.ok(total > 0, `group ${prefix}-users has committed offsets (${JSON.stringify(committed)})`);
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
    await Promise.all([first.exited, second?.exited]);
    await producer.disconnect();
    await outputs.stop();
    await admin.deleteTopics({ topics: [input, repartition, userOut, pageOut] }).catch(() => {});
    await admin.disconnect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});

test('a scaled-out job of a topic that does not exist fails at once, naming it, and creates nothing', async () => {
  const missing = uniqueName('onceflow-scale-missing');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const job = scaledOutKafkaJob({
      id: uniqueName('scale-missing'),
      kafka,
      topics: [missing],
      deserializer: jsonDeserializer<unknown>(),
      signals: false,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      build: (input) => pipeline({ id: input.id, checkpoints: { interval: 1000, store: redisStore({ client: redis }) } }).from(input.source).to(stdoutSink()),
    });
    try {
      await job.run();
      assert.unreachable('the job ran');
    } catch (error) {
      assert.instance(error, KafkaUnknownTopicError);
      assert.match((error as Error).message, `topic '${missing}' that the scaled-out job reads does not exist`);
    }
    assert.not.ok((await admin.listTopics()).includes(missing), 'the topic was not created');
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
});

test.run();
