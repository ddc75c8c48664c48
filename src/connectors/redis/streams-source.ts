import type { Redis } from 'ioredis';
import type { FetchResult, RecordBatch, Source, SourceSplit, SplitAssignment, SplitReader } from '../../contracts/source.js';
import type { LogFields, Logger } from '../../contracts/logger.js';
import { ConfigurationError, messageOf, OnceflowError } from '../../errors.js';
import { staticSplitEnumerator } from '../shared/enumerators.js';
import type { StaticEnumeratorState } from '../shared/enumerators.js';
import { Backoff, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions, ReconnectSettings } from '../shared/reconnect.js';
import { isTransientRedisError } from './errors.js';

/** One entry of a Redis stream, as the source reads it. */
export interface RedisStreamEntry {
  /** The stream's key. */
  readonly stream: string;
  /** The entry's id, `<ms>-<seq>`. */
  readonly id: string;
  /** Its fields and values. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A consumer group to read through: entries are acknowledged (XACK) when the checkpoint covering them completes. */
export interface RedisStreamsGroup {
  /** The group; created (with MKSTREAM) at the stream's start when it does not exist. */
  readonly name: string;
  /** This job's consumer in the group; keep it stable across restarts, since its pending entries are read again on restore. */
  readonly consumer: string;
}

/** Options of {@link redisStreamsSource}. */
export interface RedisStreamsSourceOptions<T> {
  /**
   * A connected ioredis client. The source reads through a duplicate of it (a
   * blocking XREAD holds its connection), and closes only that duplicate.
   */
  readonly client: Redis;
  /** The stream keys to read, each a split. */
  readonly streams: readonly string[];
  /** Where a fresh start begins in each stream: its first entry, or entries added after the start. Default `'beginning'`. */
  readonly startFrom?: 'beginning' | 'end';
  /** Read through a consumer group (XREADGROUP), acknowledging on checkpoint completion. Default: plain XREAD. */
  readonly group?: RedisStreamsGroup;
  /** Turns an entry into a record. Default: the entry as it is. */
  readonly decoder?: (entry: RedisStreamEntry) => T;
  /** Entries one read asks for per stream (XREAD COUNT). Default 500. */
  readonly count?: number;
  /** Longest a read blocks waiting for entries, in ms (XREAD BLOCK). Default 1000. */
  readonly block?: number;
  /** Backoff and attempts when reading fails for a connection reason. */
  readonly reconnect?: ReconnectOptions;
}

/** One split of a Redis Streams source: a stream key. */
export interface RedisStreamSplit extends SourceSplit {
  /** The stream's key. */
  readonly splitId: string;
}

/** Where a stream is read up to: the id of the last entry emitted (`0-0` before the first). */
export interface RedisStreamPosition {
  readonly lastId: string;
}

/** Reading a Redis stream failed for good: an error reply (a key that is not a stream), or connection failures past the retry budget. */
export class RedisStreamReadError extends OnceflowError {
  override readonly name = 'RedisStreamReadError';
  constructor(
    /** The streams the read was for. */
    readonly streams: readonly string[],
    message: string,
    options: { cause?: unknown; retriable: boolean },
  ) {
    super(`reading Redis stream${streams.length === 1 ? '' : 's'} ${streams.join(', ')} failed: ${message}`, options);
  }
}

/**
 * Reads Redis streams, one split each, exactly-once: a stream's position is
 * the id of the last entry emitted, kept in the checkpoint, and a restore
 * reads on after it. Reads block (XREAD BLOCK) until entries come. With a
 * `group`, it reads through the consumer group (XREADGROUP) and acknowledges
 * entries (XACK) when the checkpoint covering them completes; on restore it
 * reads its consumer's pending entries after the stored id first. Streams
 * are read side by side, so replay is `'nondeterministic'` with several.
 */
export function redisStreamsSource(
  options: RedisStreamsSourceOptions<RedisStreamEntry> & { readonly decoder?: undefined },
): Source<RedisStreamEntry, 'exactly-once', 'nondeterministic', RedisStreamSplit, RedisStreamPosition, StaticEnumeratorState<RedisStreamSplit>>;
export function redisStreamsSource<T>(
  options: RedisStreamsSourceOptions<T> & { readonly decoder: (entry: RedisStreamEntry) => T },
): Source<T, 'exactly-once', 'nondeterministic', RedisStreamSplit, RedisStreamPosition, StaticEnumeratorState<RedisStreamSplit>>;
export function redisStreamsSource<T>(
  options: RedisStreamsSourceOptions<T>,
): Source<T, 'exactly-once', 'nondeterministic', RedisStreamSplit, RedisStreamPosition, StaticEnumeratorState<RedisStreamSplit>> {
  const settings = streamSettings(options);
  const splits = settings.streams.map((stream): RedisStreamSplit => ({ splitId: stream }));
  return {
    name: 'redis-streams',
    guarantee: 'exactly-once',
    replay: 'nondeterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => splits),
    createReader: ({ jobId, taskId, logger }) => new StreamsReader(settings, logger, { jobId, taskId }),
  };
}

interface StreamSettings<T> {
  readonly client: Redis;
  readonly streams: readonly string[];
  readonly startFrom: 'beginning' | 'end';
  readonly group: RedisStreamsGroup | undefined;
  readonly decoder: (entry: RedisStreamEntry) => T;
  readonly count: number;
  readonly block: number;
  readonly reconnect: ReconnectSettings;
}

function streamSettings<T>(options: RedisStreamsSourceOptions<T>): StreamSettings<T> {
  const { client, streams, group } = options;
  if (typeof client !== 'object' || client === null || typeof client.duplicate !== 'function') throw new ConfigurationError('redisStreamsSource client must be an ioredis Redis client');
  if (!Array.isArray(streams) || streams.length === 0 || streams.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new ConfigurationError('redisStreamsSource streams must be a non-empty list of stream keys');
  }
  if (new Set(streams).size !== streams.length) throw new ConfigurationError(`redisStreamsSource streams lists a stream twice: ${streams.join(', ')}`);
  if (group && (!group.name || !group.consumer)) throw new ConfigurationError('redisStreamsSource group needs a name and a consumer');
  const startFrom = options.startFrom ?? 'beginning';
  if (startFrom !== 'beginning' && startFrom !== 'end') throw new ConfigurationError(`redisStreamsSource startFrom must be 'beginning' or 'end', got ${String(startFrom)}`);
  const count = options.count ?? 500;
  if (!Number.isInteger(count) || count < 1) throw new ConfigurationError(`redisStreamsSource count must be a whole number >= 1, got ${count}`);
  const block = options.block ?? 1000;
  if (!Number.isInteger(block) || block < 1) throw new ConfigurationError(`redisStreamsSource block must be a whole number of ms >= 1, got ${block}`);
  return {
    client,
    streams: [...streams],
    startFrom,
    group,
    decoder: options.decoder ?? ((entry) => entry as T),
    count,
    block,
    reconnect: reconnectSettings('redisStreamsSource', options.reconnect),
  };
}

/** Whether stream id `a` comes after `b`. */
function after(a: string, b: string): boolean {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  return ms > 0n || (ms === 0n && BigInt(as) > BigInt(bs));
}

type RawEntry = [id: string, fields: string[] | null];
type RawReply = [stream: string, entries: RawEntry[]][] | null;

interface StreamState {
  readonly stream: string;
  lastId: string;
  paused: boolean;
  /** Group mode: still reading this consumer's pending entries (after lastId) before new ones. */
  readingPending: boolean;
  /** Group mode: ids emitted and not acknowledged yet, oldest first. */
  unacknowledged: string[];
}

const nothing: FetchResult<never, RedisStreamPosition> = { batches: [], finished: [] };

class StreamsReader<T> implements SplitReader<T, RedisStreamSplit, RedisStreamPosition> {
  private readonly states = new Map<string, StreamState>();
  private readonly connection: Redis;
  private connectionId: number | undefined;
  private blocking = false;
  private woken = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly backoff: Backoff;
  private preparing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly settings: StreamSettings<T>,
    private readonly logger: Logger | undefined,
    private readonly fields: LogFields,
  ) {
    // Commands fail while disconnected instead of queueing, so the backoff below counts the attempts.
    this.connection = settings.client.duplicate({ maxRetriesPerRequest: 0, lazyConnect: true });
    this.connection.on('error', () => {});
    this.backoff = new Backoff(settings.reconnect, logger, fields);
  }

  addSplits(assignments: readonly SplitAssignment<RedisStreamSplit, RedisStreamPosition>[]): void {
    const added: StreamState[] = [];
    for (const { split, position } of assignments) {
      const state: StreamState = { stream: split.splitId, lastId: position?.lastId ?? '0-0', paused: false, readingPending: this.settings.group !== undefined, unacknowledged: [] };
      this.states.set(split.splitId, state);
      added.push(state);
      if (!position && this.settings.startFrom === 'end') state.lastId = '';
    }
    const previous = this.preparing;
    this.preparing = previous
      .then(() => this.prepare(added, assignments.some((a) => a.position !== undefined)))
      .catch((error: unknown) => {
        // Closed while preparing: nothing to report. Otherwise the next fetch fails with it.
        if (!this.closed) this.failure ??= error;
      });
    this.wakeUp();
  }

  async fetch(): Promise<FetchResult<T, RedisStreamPosition>> {
    await this.preparing;
    for (;;) {
      if (this.closed) return nothing;
      if (this.failure !== undefined) throw this.failure;
      const readable = [...this.states.values()].filter((s) => !s.paused);
      if (readable.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      let reply: RawReply;
      try {
        reply = await this.read(readable);
        this.backoff.reset();
      } catch (error) {
        if (this.closed) return nothing;
        const names = readable.map((s) => s.stream);
        if (!isTransientRedisError(error)) throw new RedisStreamReadError(names, messageOf(error), { cause: error, retriable: false });
        const delay = this.backoff.next(error);
        if (delay === undefined) throw new RedisStreamReadError(names, `gave up after ${this.backoff.failures} attempts: ${messageOf(error)}`, { cause: error, retriable: true });
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      const batches = this.batches(reply, readable);
      if (batches.length > 0) return { batches, finished: [] };
    }
  }

  wakeUp(): void {
    this.wake?.();
    if (!this.blocking || this.woken || this.connectionId === undefined) return;
    this.woken = true;
    // Ends the blocking read at once, as if it timed out, so pauses and closes take effect now.
    this.settings.client.call('client', 'unblock', this.connectionId).catch(() => {});
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    for (const id of pause) {
      const state = this.states.get(id);
      if (state) state.paused = true;
    }
    for (const id of resume) {
      const state = this.states.get(id);
      if (state) state.paused = false;
    }
    this.wakeUp();
  }

  async checkpointComplete(_checkpointId: number, positions: ReadonlyMap<string, RedisStreamPosition | undefined>): Promise<void> {
    const group = this.settings.group;
    if (!group) return;
    for (const [stream, position] of positions) {
      const state = this.states.get(stream);
      if (!state || !position) continue;
      const due = state.unacknowledged.filter((id) => !after(id, position.lastId));
      if (due.length === 0) continue;
      try {
        await this.settings.client.xack(stream, group.name, ...due);
        state.unacknowledged = state.unacknowledged.filter((id) => after(id, position.lastId));
      } catch (error) {
        // Still pending in the group: the next checkpoint acknowledges them.
        this.logger?.warn({ ...this.fields, stream, entries: due.length, err: error }, 'XACK failed; the next checkpoint acknowledges these entries');
      }
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    this.connection.disconnect();
  }

  /** Connect, create groups, find where `'end'` starts, and acknowledge what a restored checkpoint covers. */
  private async prepare(added: readonly StreamState[], restored: boolean): Promise<void> {
    if (this.connectionId === undefined) {
      await this.connection.connect();
      this.connectionId = Number(await this.connection.call('client', 'id'));
    }
    const group = this.settings.group;
    for (const state of added) {
      if (state.lastId === '') {
        const [last] = await this.settings.client.xrevrange(state.stream, '+', '-', 'COUNT', 1);
        state.lastId = last?.[0] ?? '0-0';
      }
      if (!group) continue;
      try {
        await this.settings.client.xgroup('CREATE', state.stream, group.name, state.lastId, 'MKSTREAM');
      } catch (error) {
        if (!/BUSYGROUP/.test(messageOf(error))) throw new RedisStreamReadError([state.stream], `cannot create consumer group '${group.name}': ${messageOf(error)}`, { cause: error, retriable: false });
      }
      if (!restored) continue;
      // Pending entries up to the restored position were emitted before a completed checkpoint: acknowledge them now.
      const pending = (await this.settings.client.xpending(state.stream, group.name, '-', state.lastId, 10_000, group.consumer)) as [string, ...unknown[]][];
      if (pending.length > 0) await this.settings.client.xack(state.stream, group.name, ...pending.map(([id]) => id));
    }
  }

  private async read(readable: readonly StreamState[]): Promise<RawReply> {
    const { count, block, group } = this.settings;
    const keys = readable.map((s) => s.stream);
    // Pending entries are returned without blocking; only a read of new entries blocks.
    const pendingOnly = group !== undefined && readable.some((s) => s.readingPending);
    const ids = readable.map((s) => (group && !s.readingPending ? '>' : s.lastId));
    this.blocking = true;
    this.woken = false;
    try {
      if (group) {
        const args = ['GROUP', group.name, group.consumer, 'COUNT', count, ...(pendingOnly ? [] : ['BLOCK', block]), 'STREAMS', ...keys, ...ids];
        return (await this.connection.call('xreadgroup', ...args)) as RawReply;
      }
      return (await this.connection.call('xread', 'COUNT', count, 'BLOCK', block, 'STREAMS', ...keys, ...ids)) as RawReply;
    } finally {
      this.blocking = false;
    }
  }

  private batches(reply: RawReply, readable: readonly StreamState[]): RecordBatch<T, RedisStreamPosition>[] {
    const batches: RecordBatch<T, RedisStreamPosition>[] = [];
    const answered = new Set<string>();
    for (const [stream, entries] of reply ?? []) {
      const state = this.states.get(stream);
      if (!state) continue;
      answered.add(stream);
      if (state.readingPending && entries.length === 0) state.readingPending = false;
      const records: T[] = [];
      const ids: string[] = [];
      for (const [id, raw] of entries) {
        // A pending entry deleted from the stream (XDEL, trimming) comes with no fields: nothing to emit.
        if (!raw || !after(id, state.lastId)) continue;
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i] as string] = raw[i + 1] as string;
        try {
          records.push(this.settings.decoder({ stream, id, fields }));
        } catch (cause) {
          // Reading again meets the same entry: name it, and never skip it.
          throw new RedisStreamReadError([stream], `entry ${id} could not be decoded: ${messageOf(cause)}`, { cause, retriable: false });
        }
        ids.push(id);
      }
      if (ids.length === 0) continue;
      state.lastId = ids[ids.length - 1] as string;
      if (this.settings.group) state.unacknowledged.push(...ids);
      batches.push({ splitId: stream, records, positionAfter: (index) => ({ lastId: ids[index] as string }) });
    }
    // A pending read that said nothing of a stream has no pending entries left there.
    for (const state of readable) if (state.readingPending && !answered.has(state.stream) && reply !== null) state.readingPending = false;
    if (reply === null) for (const state of readable) state.readingPending = false;
    return batches;
  }
}
