// Type-level rules for the RabbitMQ and Redis connectors: what each mode and mapper gives.
import { Redis } from 'ioredis';
import { fileSource, pipeline, rollingFileSink } from 'onceflow';
import type { Job } from 'onceflow';
import { rabbitMqSource } from 'onceflow/rabbitmq';
import { redisHset, redisIncrby, redisRpush, redisSet, redisSink, redisXadd } from 'onceflow/redis';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;
const connection = 'amqp://127.0.0.1';

// Checkpointed: acks on checkpoint completion and drops redeliveries by id, so it may feed a two-phase-commit sink.
const exact = pipeline({ ...checked, guarantee: 'exactly-once' })
  .from(rabbitMqSource({ connection, queues: ['q'], mode: 'checkpointed' }))
  .to(rollingFileSink<string>({ directory: 'out' }));
expectType<Equal<typeof exact, Job<'exactly-once'>>>();
// Auto-ack loses what was in flight at a failure...
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
pipeline(checked).from(rabbitMqSource({ connection, queues: ['q'], mode: 'auto-ack' })).to(rollingFileSink<string>({ directory: 'out' }));
// @ts-expect-error pipeline needs at-least-once but the source is at-most-once
pipeline({ ...checked, guarantee: 'at-least-once' }).from(rabbitMqSource({ connection, queues: ['q'], mode: 'auto-ack' }));
// A decoder decides the record type.
const decoded = pipeline(checked)
  .from(rabbitMqSource({ connection, queues: ['q'], mode: 'checkpointed', decoder: (m) => m.content.length }))
  .to(rollingFileSink<number>({ directory: 'out' }));
expectType<Equal<typeof decoded, Job<'exactly-once'>>>();

const client = new Redis({ lazyConnect: true });
// An idempotent mapper on a deterministic stream: exactly-once.
const idempotent = pipeline(checked)
  .from(fileSource({ path: 'in' }))
  .to(redisSink({ client, mapper: redisSet<string>({ key: (line) => line, value: (line) => line, ttl: 60_000 }) }));
expectType<Equal<typeof idempotent, Job<'exactly-once'>>>();
const hashes = pipeline(checked)
  .from(fileSource({ path: 'in' }))
  .to(redisSink({ client, mapper: redisHset<string>({ key: () => 'h', field: (line) => line, value: (line) => line }) }));
expectType<Equal<typeof hashes, Job<'exactly-once'>>>();
const explicitIds = pipeline(checked)
  .from(fileSource({ path: 'in' }))
  .to(redisSink({ client, mapper: redisXadd<string>({ key: () => 's', id: (line) => line, fields: (line) => ({ line }) }) }));
expectType<Equal<typeof explicitIds, Job<'exactly-once'>>>();
// Commands that apply again on replay: at-least-once.
const counted = pipeline(checked).from(fileSource({ path: 'in' })).to(redisSink({ client, mapper: redisIncrby<string>({ key: (line) => line, increment: () => 1 }) }));
expectType<Equal<typeof counted, Job<'at-least-once'>>>();
const pushed = pipeline(checked).from(fileSource({ path: 'in' })).to(redisSink({ client, mapper: redisRpush<string>({ key: () => 'l', value: (line) => line }) }));
expectType<Equal<typeof pushed, Job<'at-least-once'>>>();
const appended = pipeline(checked).from(fileSource({ path: 'in' })).to(redisSink({ client, mapper: redisXadd<string>({ key: () => 's', fields: (line) => ({ line }) }) }));
expectType<Equal<typeof appended, Job<'at-least-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(fileSource({ path: 'in' })).to(redisSink({ client, mapper: redisIncrby<string>({ key: (l) => l, increment: () => 1 }) }));
// Queues are read side by side: replay is not deterministic, so idempotent writes are not enough.
const sideBySide = pipeline(checked)
  .from(rabbitMqSource({ connection, queues: ['a', 'b'], mode: 'checkpointed' }))
  .to(redisSink({ client, mapper: redisSet<string>({ key: (line) => line, value: (line) => line }) }));
expectType<Equal<typeof sideBySide, Job<'at-least-once'>>>();
