import { ConfigurationError } from '../../errors.js';

/** A key, field, member or value as Redis takes it. */
export type RedisBytes = string | Buffer;

/** One Redis command: its name and arguments, as sent. */
export interface RedisCommand {
  readonly name: string;
  readonly key: string;
  readonly args: readonly (RedisBytes | number)[];
  /** Treat this error reply as "applied before" (a replayed XADD with an explicit id). */
  readonly alreadyApplied?: (error: Error) => boolean;
}

/**
 * Turns a record into one Redis command. `Idempotent` is `true` for a
 * command that leaves Redis the same when applied again (SET, HSET, SADD,
 * ZADD, XADD with an explicit id): a sink with such a mapper is exactly-once
 * on a stream that is deterministic on replay. `false` for those that do not
 * (INCRBY adds again, LPUSH/RPUSH push again, XADD without an id appends again,
 * PUBLISH delivers again): at-least-once.
 */
export interface RedisMapper<T, Idempotent extends boolean> {
  /** The command's name, for messages. */
  readonly command: string;
  /** Whether applying a record's command twice leaves Redis as applying it once. */
  readonly idempotent: Idempotent;
  /** The command for one record. */
  toCommand(record: T): RedisCommand;
}

type Of<T, V> = (record: T) => V;

function mapper<T, I extends boolean>(command: string, idempotent: I, toCommand: (record: T) => RedisCommand): RedisMapper<T, I> {
  return { command, idempotent, toCommand };
}

/** Options of {@link redisSet}. */
export interface RedisSetOptions<T> {
  readonly key: Of<T, string>;
  readonly value: Of<T, RedisBytes>;
  /** Time to live in ms, for every key or by record; none when absent. */
  readonly ttl?: number | Of<T, number | undefined>;
}

/** `SET key value [PX ttl]`: idempotent (the last write of a key wins, and a replay writes the same). */
export function redisSet<T>(options: RedisSetOptions<T>): RedisMapper<T, true> {
  const { key, value, ttl } = options;
  if (typeof ttl === 'number' && !(Number.isInteger(ttl) && ttl > 0)) throw new ConfigurationError(`redisSet ttl must be a whole number of ms > 0, got ${ttl}`);
  return mapper('SET', true, (record) => {
    const k = key(record);
    const ms = typeof ttl === 'function' ? ttl(record) : ttl;
    return { name: 'set', key: k, args: ms === undefined ? [k, value(record)] : [k, value(record), 'PX', ms] };
  });
}

/** `HSET key field value`: idempotent. */
export function redisHset<T>(options: { readonly key: Of<T, string>; readonly field: Of<T, RedisBytes>; readonly value: Of<T, RedisBytes> }): RedisMapper<T, true> {
  return mapper('HSET', true, (record) => {
    const k = options.key(record);
    return { name: 'hset', key: k, args: [k, options.field(record), options.value(record)] };
  });
}

/** `SADD key member`: idempotent. */
export function redisSadd<T>(options: { readonly key: Of<T, string>; readonly member: Of<T, RedisBytes> }): RedisMapper<T, true> {
  return mapper('SADD', true, (record) => {
    const k = options.key(record);
    return { name: 'sadd', key: k, args: [k, options.member(record)] };
  });
}

/** `ZADD key score member`: idempotent (a replay sets the same score). */
export function redisZadd<T>(options: { readonly key: Of<T, string>; readonly score: Of<T, number>; readonly member: Of<T, RedisBytes> }): RedisMapper<T, true> {
  return mapper('ZADD', true, (record) => {
    const k = options.key(record);
    return { name: 'zadd', key: k, args: [k, options.score(record), options.member(record)] };
  });
}

/** `LPUSH key value`: not idempotent (a replay pushes again). */
export function redisLpush<T>(options: { readonly key: Of<T, string>; readonly value: Of<T, RedisBytes> }): RedisMapper<T, false> {
  return mapper('LPUSH', false, (record) => {
    const k = options.key(record);
    return { name: 'lpush', key: k, args: [k, options.value(record)] };
  });
}

/** `RPUSH key value`: not idempotent (a replay pushes again). */
export function redisRpush<T>(options: { readonly key: Of<T, string>; readonly value: Of<T, RedisBytes> }): RedisMapper<T, false> {
  return mapper('RPUSH', false, (record) => {
    const k = options.key(record);
    return { name: 'rpush', key: k, args: [k, options.value(record)] };
  });
}

/** `PUBLISH channel message`: not idempotent (subscribers get a replay again). */
export function redisPublish<T>(options: { readonly channel: Of<T, string>; readonly message: Of<T, RedisBytes> }): RedisMapper<T, false> {
  return mapper('PUBLISH', false, (record) => {
    const channel = options.channel(record);
    return { name: 'publish', key: channel, args: [channel, options.message(record)] };
  });
}

/** `INCRBY key increment`: not idempotent (a replay adds again). */
export function redisIncrby<T>(options: { readonly key: Of<T, string>; readonly increment: Of<T, number> }): RedisMapper<T, false> {
  return mapper('INCRBY', false, (record) => {
    const k = options.key(record);
    const by = options.increment(record);
    if (!Number.isInteger(by)) throw new ConfigurationError(`redisIncrby increment must be a whole number, got ${by} for key ${k}`);
    return { name: 'incrby', key: k, args: [k, by] };
  });
}

/** Options of {@link redisXadd}. */
export interface RedisXaddOptions<T> {
  readonly key: Of<T, string>;
  readonly fields: Of<T, Readonly<Record<string, RedisBytes>>>;
  /** `MAXLEN ~ n`: trim the stream to about this many entries. */
  readonly maxLength?: number;
}

// A replayed entry with an explicit id is refused as not newer than the stream's last: it is there already.
const notNewer = (error: Error): boolean => /equal or smaller than the target stream top item/.test(error.message);

/**
 * `XADD key id|* field value ...`. With an explicit `id` per record (ids must
 * grow along the stream) it is idempotent: a replayed entry is refused as not
 * newer and counts as applied. Without one Redis picks the id and a replay
 * appends again: not idempotent.
 */
export function redisXadd<T>(options: RedisXaddOptions<T> & { readonly id: Of<T, string> }): RedisMapper<T, true>;
export function redisXadd<T>(options: RedisXaddOptions<T> & { readonly id?: undefined }): RedisMapper<T, false>;
export function redisXadd<T>(options: RedisXaddOptions<T> & { readonly id?: Of<T, string> }): RedisMapper<T, boolean> {
  const { maxLength, id } = options;
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0)) throw new ConfigurationError(`redisXadd maxLength must be a whole number > 0, got ${maxLength}`);
  return mapper('XADD', id !== undefined, (record) => {
    const k = options.key(record);
    const args: (RedisBytes | number)[] = [k];
    if (maxLength !== undefined) args.push('MAXLEN', '~', maxLength);
    args.push(id ? id(record) : '*');
    for (const [field, value] of Object.entries(options.fields(record))) args.push(field, value);
    return id ? { name: 'xadd', key: k, args, alreadyApplied: notNewer } : { name: 'xadd', key: k, args };
  });
}
