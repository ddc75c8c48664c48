// `onceflow/redis`: what needs the ioredis client, kept out of the main entry point
// so that `import 'onceflow'` works without ioredis installed (it is an optional peer).
export { redisStore } from './snapshot/redis-store.js';
export type { RedisStoreOptions } from './snapshot/redis-store.js';
export { redisSink } from './connectors/redis/sink.js';
export type { RedisSinkOptions, RedisBatchingOptions } from './connectors/redis/sink.js';
export { redisSet, redisHset, redisSadd, redisZadd, redisLpush, redisRpush, redisXadd, redisPublish, redisIncrby } from './connectors/redis/mappers.js';
export type { RedisMapper, RedisCommand, RedisBytes, RedisSetOptions, RedisXaddOptions } from './connectors/redis/mappers.js';
export { RedisCommandError } from './connectors/redis/errors.js';
export { redisStreamsSource, RedisStreamReadError } from './connectors/redis/streams-source.js';
export type { RedisStreamsSourceOptions, RedisStreamEntry, RedisStreamsGroup, RedisStreamSplit, RedisStreamPosition } from './connectors/redis/streams-source.js';
