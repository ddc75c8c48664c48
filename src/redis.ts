// `onceflow/redis`: what needs the ioredis client, kept out of the main entry point
// so that `import 'onceflow'` works without ioredis installed (it is an optional peer).
export { redisStore } from './snapshot/redis-store.js';
export type { RedisStoreOptions } from './snapshot/redis-store.js';
