/**
 * Figure 6: messages/s of a RabbitMQ queue -> map -> Redis (SET) job, the
 * source checkpointed (acknowledging on checkpoint completion) with
 * checkpoints every 1 s, against a plain amqplib consume-and-ack loop writing
 * through an ioredis pipeline, in one run. Needs the RabbitMQ and Redis of
 * the service harness (`npm run services -- up rabbitmq redis`, and the
 * variables it prints); without them it measures nothing and says so.
 */
import { connect } from 'amqplib';
import type { Channel, ConsumeMessage } from 'amqplib';
import { Redis } from 'ioredis';
import { map, memoryStore, pipeline } from 'onceflow';
import { rabbitMqSource } from 'onceflow/rabbitmq';
import { redisSet, redisSink } from 'onceflow/redis';
import type { BenchOptions, Figure } from './measure.js';
import { rateFigure, runIfMain } from './measure.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function fill(channel: Channel, queue: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (!channel.sendToQueue(queue, Buffer.from(`{"n":${i}}`), { messageId: `m-${i}` })) await new Promise((resolve) => channel.once('drain', resolve));
  }
  while ((await channel.checkQueue(queue)).messageCount < count) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The baseline: consume, write each message's SET into a pipeline, and every 500 (or when the queue pauses) exec it and ack up to the last. */
async function plainLoop(url: string, redisUrl: string, queue: string, count: number, prefix: string): Promise<number> {
  const connection = await connect(url);
  const redis = new Redis(redisUrl);
  const channel = await connection.createChannel();
  await channel.prefetch(1000);
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let done = 0;
    let batch = redis.pipeline();
    let pending: ConsumeMessage[] = [];
    let timer: NodeJS.Timeout | undefined;
    const send = (): void => {
      clearTimeout(timer);
      timer = undefined;
      const last = pending[pending.length - 1];
      if (!last) return;
      const taken = pending.length;
      const exec = batch.exec();
      batch = redis.pipeline();
      pending = [];
      exec.then(() => {
        channel.ack(last, true);
        done += taken;
        if (done >= count) resolve();
      }, reject);
    };
    void channel.consume(queue, (message) => {
      if (!message) return;
      const { n } = JSON.parse(message.content.toString()) as { n: number };
      batch.set(`${prefix}:${n}`, String(n * 2));
      pending.push(message);
      if (pending.length >= 500) send();
      else timer ??= setTimeout(send, 1);
    });
  });
  // A round trip on the channel: the broker has handled every acknowledgement before it (the source does the same).
  await channel.checkQueue(queue);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await connection.close();
  redis.disconnect();
  return seconds;
}

/** The library: checkpointed RabbitMQ source -> map -> Redis sink of SETs, checkpoints every 1 s; timed until the drain's final checkpoint acknowledged everything. */
async function onceflowJob(url: string, redisUrl: string, queue: string, count: number, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  let seen = 0;
  let reached: () => void = () => {};
  const all = new Promise<void>((resolve) => (reached = resolve));
  const start = process.hrtime.bigint();
  const handle = pipeline({ id: `bench-${queue}`, checkpoints: { interval: 1000, store: memoryStore() }, logger: silent, signals: false })
    // Acknowledgements wait for a checkpoint, so prefetch must hold a second's worth of messages.
    .from(rabbitMqSource({ connection: url, queues: [queue], mode: 'checkpointed', prefetch: 50_000 }))
    .pipe(
      map((body: string) => {
        if (++seen === count) reached();
        return JSON.parse(body) as { n: number };
      }),
    )
    .to(redisSink({ client: redis, mapper: redisSet<{ n: number }>({ key: (r) => `${prefix}:${r.n}`, value: (r) => String(r.n * 2) }) }))
    .start();
  await all;
  await handle.drain();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  redis.disconnect();
  return seconds;
}

export async function messaging({ full }: BenchOptions): Promise<Figure[]> {
  const url = process.env['ONCEFLOW_RABBITMQ_URL'];
  const redisUrl = process.env['ONCEFLOW_REDIS_URL'];
  if (!url || !redisUrl) {
    console.error('figure 6 not measured: ONCEFLOW_RABBITMQ_URL and ONCEFLOW_REDIS_URL are not set (npm run services -- up rabbitmq redis)');
    return [];
  }
  const count = full ? 300_000 : 100_000;
  const runs = 3;
  const admin = await connect(url);
  const channel = await admin.createChannel();
  const redis = new Redis(redisUrl);
  const seconds = { onceflow: [] as number[], plain: [] as number[] };
  try {
    // Alternately, after one warm-up of each, so load from other processes falls on both alike.
    for (let run = -1; run < runs; run++) {
      for (const variant of ['onceflow', 'plain'] as const) {
        const queue = (await channel.assertQueue(`onceflow.bench.${Date.now().toString(36)}.${variant}`, { durable: false, autoDelete: false })).queue;
        const prefix = `onceflow:bench:${queue}`;
        await fill(channel, queue, count);
        const took = variant === 'onceflow' ? await onceflowJob(url, redisUrl, queue, count, prefix) : await plainLoop(url, redisUrl, queue, count, prefix);
        if (run >= 0) seconds[variant].push(took);
        const left = (await channel.checkQueue(queue)).messageCount;
        if (left !== 0) throw new Error(`${variant} left ${left} messages in ${queue}`);
        const written = Number(await redis.eval(`return #redis.call('keys', ARGV[1])`, 0, `${prefix}:*`));
        if (written !== count) throw new Error(`${variant} wrote ${written} of ${count} keys`);
        await channel.deleteQueue(queue);
        const keys = await redis.keys(`${prefix}:*`);
        for (let i = 0; i < keys.length; i += 10_000) await redis.del(...keys.slice(i, i + 10_000));
      }
    }
  } finally {
    await admin.close();
    redis.disconnect();
  }
  return [
    {
      figure: '6. RabbitMQ queue -> map -> Redis SET, checkpointed source, checkpoints every 1 s, vs amqplib consume-and-ack + ioredis pipeline',
      ...rateFigure(count, seconds.onceflow, seconds.plain),
      target: { op: '>=', value: 0.7 },
      details: { messages: count, seconds },
    },
  ];
}

runIfMain(import.meta.url, messaging);
