import type { Cluster, Redis } from 'ioredis';
import type { FlushingSink, SinkWriter } from '../../contracts/sink.js';
import { ConfigurationError } from '../../errors.js';
import { BatchingSinkWriter } from '../shared/batching-writer.js';
import { idempotentFlushingSink } from '../shared/idempotent-sink.js';
import type { BatchingWriterOptions, RejectedEntry } from '../shared/batching-writer.js';
import type { RedisCommand, RedisMapper } from './mappers.js';
import { RedisCommandError } from './errors.js';

/** How the Redis sink batches: the batching base's options (a batch is one pipeline). */
export type RedisBatchingOptions = Pick<
  BatchingWriterOptions<unknown, unknown>,
  'maxBatchSize' | 'maxBatchBytes' | 'maxInFlightRequests' | 'maxBufferedEntries' | 'maxTimeInBuffer' | 'retry'
>;

/** Options of {@link redisSink}. */
export interface RedisSinkOptions<T, Idempotent extends boolean> extends RedisBatchingOptions {
  /**
   * A connected ioredis client: a `Redis` (standalone, or through Sentinel) or a
   * `Cluster`. The sink does not close it. A cluster client sends each command
   * on its own (auto-pipelined by ioredis), since a pipeline must keep to one slot.
   */
  readonly client: Redis | Cluster;
  /** The command each record becomes: `redisSet`, `redisHset`, ... */
  readonly mapper: RedisMapper<T, Idempotent>;
}

/**
 * Writes records to Redis, one command each, pipelined and flushed on every
 * barrier through the batching base (Flink's AsyncSinkWriter): at-least-once.
 * With an idempotent mapper (SET, HSET, SADD, ZADD, XADD with explicit ids)
 * its type says exactly-once for a stream deterministic on replay
 * (`deterministicOnly: true`): what a restart writes again is what was
 * written before, to the same effect. With the others (INCRBY, LPUSH, RPUSH,
 * PUBLISH, XADD without ids) a replay applies again: at-least-once.
 */
export function redisSink<T>(options: RedisSinkOptions<T, true>): FlushingSink<T, 'exactly-once', 'at-most-once', true>;
export function redisSink<T>(options: RedisSinkOptions<T, false>): FlushingSink<T, 'at-least-once', 'at-most-once', false>;
export function redisSink<T>(options: RedisSinkOptions<T, boolean>): FlushingSink<T, 'at-least-once', 'at-most-once', false>;
export function redisSink<T>(options: RedisSinkOptions<T, boolean>): FlushingSink<T, 'at-least-once' | 'exactly-once', 'at-most-once', boolean> {
  const { client, mapper, ...batching } = options;
  if (typeof client !== 'object' || client === null || typeof (client as Redis).pipeline !== 'function') {
    throw new ConfigurationError('redisSink client must be an ioredis Redis or Cluster client');
  }
  if (typeof mapper !== 'object' || mapper === null || typeof mapper.toCommand !== 'function') {
    throw new ConfigurationError('redisSink mapper must be a Redis mapper: redisSet, redisHset, redisSadd, redisZadd, redisLpush, redisRpush, redisXadd, redisPublish or redisIncrby');
  }
  return idempotentFlushingSink(
    'redis',
    mapper.idempotent,
    (): SinkWriter<T> =>
      new BatchingSinkWriter<T, RedisCommand>({
        ...batching,
        toEntry: (record) => mapper.toCommand(record),
        submit: (commands) => (client.isCluster ? sendEach(client, commands) : sendPipeline(client, commands)),
        sizeOf: sizeOf,
        describe: (command) => `${command.name.toUpperCase()} ${command.key}`,
      }),
  );
}

function sizeOf(command: RedisCommand): number {
  let size = command.name.length;
  for (const arg of command.args) size += typeof arg === 'number' ? 8 : typeof arg === 'string' ? Buffer.byteLength(arg) : arg.length;
  return size;
}

function rejection(command: RedisCommand, index: number, error: Error): RejectedEntry | undefined {
  if (command.alreadyApplied?.(error)) return undefined;
  return { index, error: new RedisCommandError(command.name.toUpperCase(), command.key, error) };
}

async function sendPipeline(client: Redis | Cluster, commands: readonly RedisCommand[]): Promise<RejectedEntry[]> {
  const replies = await client.pipeline(commands.map((c) => [c.name, ...c.args])).exec();
  if (!replies) throw new RedisCommandError('pipeline', commands[0]?.key ?? '', new Error('the pipeline was discarded'));
  const rejected: RejectedEntry[] = [];
  replies.forEach(([error], index) => {
    const entry = error ? rejection(commands[index] as RedisCommand, index, error) : undefined;
    if (entry) rejected.push(entry);
  });
  return rejected;
}

async function sendEach(client: Redis | Cluster, commands: readonly RedisCommand[]): Promise<RejectedEntry[]> {
  const results = await Promise.allSettled(commands.map((c) => client.call(c.name, ...c.args)));
  const rejected: RejectedEntry[] = [];
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') return;
    const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    const entry = rejection(commands[index] as RedisCommand, index, error);
    if (entry) rejected.push(entry);
  });
  return rejected;
}
