import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, Shard, ShardIteratorType, _Record } from '@aws-sdk/client-kinesis';
import type { FetchResult, RecordBatch, Source, SourceSplit, SplitAssignment, SplitEnumerator, SplitEnumeratorInit, SplitReader, SplitReaderInit } from '../../contracts/source.js';
import type { Logger } from '../../contracts/logger.js';
import { exponentialBackoffRestart } from '../../contracts/restart.js';
import { ConfigurationError, isRetriable } from '../../errors.js';
import { awsErrorName, isThrottling, kinesisError } from './errors.js';

/**
 * Where a shard is read from when no checkpoint holds a position for it:
 * `TRIM_HORIZON` (its oldest record still kept), `LATEST` (records put after
 * the job first started), or `{ timestamp }` (records that arrived at or after
 * it, in ms since the epoch).
 */
export type KinesisInitialPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: number };

/** Where a shard without a stored position starts, as stored in a split (plain data). */
export type KinesisShardStart = { readonly type: 'TRIM_HORIZON' } | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: number };

/** One shard of a stream: the split of a {@link kinesisSource}. */
export interface KinesisShardSplit extends SourceSplit {
  readonly streamName: string;
  readonly shardId: string;
  /** Where reading starts when no position was stored. */
  readonly start: KinesisShardStart;
}

/** A position in a shard: the sequence number of the last record emitted; a restore reads AFTER_SEQUENCE_NUMBER it. */
export type KinesisShardPosition = string;

/** What the enumerator of a {@link kinesisSource} stores in a checkpoint. */
export interface KinesisEnumeratorState {
  /** Where shards without a position start (`LATEST` resolved to the first start's time, so a restore agrees with it). */
  readonly start: KinesisShardStart;
  /** Shards handed to the reader and not finished: the checkpoint holds their positions. */
  readonly assigned: readonly string[];
  /** Shards read to their end (closed by a reshard): their children may be read. */
  readonly finished: readonly string[];
}

/** A record read from a Kinesis shard. */
export interface KinesisRecord {
  readonly streamName: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** The record's bytes as they were put. */
  readonly data: Uint8Array;
  /** When Kinesis took the record (its approximate arrival time), in ms since the epoch. */
  readonly approximateArrivalTimestamp: number | undefined;
  /** How far behind the shard's newest record the read that returned this record was, in ms: the shard's lag. */
  readonly millisBehindLatest: number | undefined;
}

/** Options of {@link kinesisSource}. */
export interface KinesisSourceOptions {
  /** The user's client: its endpoint, region, credentials and request handler are used as they are. */
  readonly client: KinesisClient;
  readonly streamName: string;
  /** Where shards without a stored position start. Default `'TRIM_HORIZON'`. */
  readonly initialPosition?: KinesisInitialPosition;
  /** How often the shard list is read again (ListShards) to find shards a reshard made, in ms. Default 10 000. */
  readonly discoveryInterval?: number;
  /** Wait before reading a shard again after a read that returned nothing new, in ms. Default 200 (AWS allows 5 reads a second a shard). */
  readonly pollInterval?: number;
  /** Records one GetRecords returns at most (1-10 000). Default 10 000. */
  readonly maxRecordsPerRead?: number;
  /** Backoff for throttled reads and other errors that may clear up. Default 200 ms doubling to 10 s. */
  readonly retry?: { readonly initialDelay?: number; readonly maxDelay?: number; readonly maxAttempts?: number };
}

/**
 * Reads a Kinesis data stream, exactly-once: a shard is a split, and each
 * checkpoint stores the sequence number of the last record emitted of every
 * shard read; a restored job reads each shard AFTER_SEQUENCE_NUMBER it. New
 * shards are found on an interval (ListShards); after a split or merge of
 * shards, a child shard is read only once all its parents have been read to
 * their end, so a key's records keep their order across a reshard. Throttling
 * and expired iterators are backed off and renewed. Shards are read side by
 * side, so a replay interleaves them differently: `'nondeterministic'`.
 */
export function kinesisSource(
  options: KinesisSourceOptions,
): Source<KinesisRecord, 'exactly-once', 'nondeterministic', KinesisShardSplit, KinesisShardPosition, KinesisEnumeratorState> {
  const settings = checkOptions(options);
  return {
    name: `kinesis-${options.streamName}`,
    guarantee: 'exactly-once',
    replay: 'nondeterministic',
    createEnumerator: (init) => new ShardEnumerator(settings, init),
    createReader: (init) => new ShardReader(settings, init),
  };
}

interface Settings {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly initialPosition: KinesisInitialPosition;
  readonly discoveryInterval: number;
  readonly pollInterval: number;
  readonly maxRecordsPerRead: number;
  readonly retryInitialDelay: number;
  readonly retryMaxDelay: number;
  readonly retryMaxAttempts: number;
}

function checkOptions(options: KinesisSourceOptions): Settings {
  const { client, streamName, initialPosition = 'TRIM_HORIZON', discoveryInterval = 10_000, pollInterval = 200, maxRecordsPerRead = 10_000 } = options;
  if (typeof client?.send !== 'function') throw new ConfigurationError('kinesisSource client must be a KinesisClient from @aws-sdk/client-kinesis');
  if (typeof streamName !== 'string' || streamName.length === 0) throw new ConfigurationError('kinesisSource streamName must be a non-empty string');
  const validStart =
    initialPosition === 'TRIM_HORIZON' || initialPosition === 'LATEST' || (typeof initialPosition === 'object' && Number.isFinite(initialPosition?.timestamp));
  if (!validStart) throw new ConfigurationError(`kinesisSource initialPosition must be 'TRIM_HORIZON', 'LATEST' or { timestamp }, got ${JSON.stringify(initialPosition)}`);
  if (!(discoveryInterval > 0)) throw new ConfigurationError(`kinesisSource discoveryInterval must be > 0 ms, got ${discoveryInterval}`);
  if (!(pollInterval >= 0)) throw new ConfigurationError(`kinesisSource pollInterval must be >= 0 ms, got ${pollInterval}`);
  if (!Number.isInteger(maxRecordsPerRead) || maxRecordsPerRead < 1 || maxRecordsPerRead > 10_000) {
    throw new ConfigurationError(`kinesisSource maxRecordsPerRead must be a whole number 1-10000, got ${maxRecordsPerRead}`);
  }
  const { initialDelay = 200, maxDelay = 10_000, maxAttempts = 10 } = options.retry ?? {};
  if (!(initialDelay >= 0) || !(maxDelay >= initialDelay)) throw new ConfigurationError(`kinesisSource retry needs 0 <= initialDelay <= maxDelay, got ${initialDelay} and ${maxDelay}`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new ConfigurationError(`kinesisSource retry.maxAttempts must be a whole number >= 1, got ${maxAttempts}`);
  return { client, streamName, initialPosition, discoveryInterval, pollInterval, maxRecordsPerRead, retryInitialDelay: initialDelay, retryMaxDelay: maxDelay, retryMaxAttempts: maxAttempts };
}

/** Every shard of the stream, through ListShards pages. */
async function listShards(settings: Settings): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    // With a NextToken the API refuses a StreamName: the token names the stream.
    const input = nextToken === undefined ? { StreamName: settings.streamName } : { NextToken: nextToken };
    let page;
    try {
      page = await settings.client.send(new ListShardsCommand(input));
    } catch (error) {
      throw kinesisError(settings.streamName, 'ListShards', undefined, error);
    }
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return shards;
}

/**
 * Finds the stream's shards and hands each to the reader once every parent it
 * has in the shard list is finished. What it has assigned and what is finished
 * go into each checkpoint together with the reader's positions, so a restore
 * neither reads a child before its parent's last records nor reads a finished
 * shard again (FLINK-37627 lost records when these disagreed).
 */
class ShardEnumerator implements SplitEnumerator<KinesisShardSplit, KinesisEnumeratorState> {
  private readonly context: SplitEnumeratorInit<KinesisShardSplit, KinesisEnumeratorState>['context'];
  private readonly shardStart: KinesisShardStart;
  private readonly assigned: Set<string>;
  private readonly finished: Set<string>;
  private shards = new Map<string, Shard>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private discovering = false;
  private failures = 0;

  constructor(
    private readonly settings: Settings,
    { context, restoredState }: SplitEnumeratorInit<KinesisShardSplit, KinesisEnumeratorState>,
  ) {
    this.context = context;
    this.shardStart = restoredState?.start ?? resolveStart(settings.initialPosition);
    this.assigned = new Set(restoredState?.assigned ?? []);
    this.finished = new Set(restoredState?.finished ?? []);
  }

  async start(): Promise<void> {
    // The first listing fails the job when the stream is missing or access is refused: nothing could be read.
    await this.discover();
    this.schedule();
  }

  splitFinished(splitId: string): void {
    this.assigned.delete(splitId);
    this.finished.add(splitId);
    // Children are handed out at once, while the shard list still names them: the checkpoint then agrees with the reader.
    this.assignReady();
    // The shard closed after the last listing: list again now rather than a discovery interval later.
    const childKnown = [...this.shards.values()].some((shard) => shard.ParentShardId === splitId || shard.AdjacentParentShardId === splitId);
    if (!childKnown && !this.discovering && !this.closed) {
      clearTimeout(this.timer);
      this.schedule(0);
    }
  }

  snapshotState(): KinesisEnumeratorState {
    return { start: this.shardStart, assigned: [...this.assigned], finished: [...this.finished] };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(delay = this.failures === 0 ? this.settings.discoveryInterval : Math.min(this.settings.retryMaxDelay, this.settings.retryInitialDelay * 2 ** (this.failures - 1))): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.discovering = true;
      this.discover()
        .then(() => {
          this.failures = 0;
        })
        .catch((error: unknown) => {
          if (!isRetriable(error) || ++this.failures > this.settings.retryMaxAttempts) this.context.fail(error);
        })
        .finally(() => {
          this.discovering = false;
          this.schedule();
        });
    }, delay);
  }

  private async discover(): Promise<void> {
    const shards = await listShards(this.settings);
    if (this.closed) return;
    this.shards = new Map(shards.map((shard) => [shard.ShardId as string, shard]));
    // Shards past the retention period drop out of the list; forget them unless a listed shard still names them as a parent.
    const parents = new Set(shards.flatMap((shard) => [shard.ParentShardId, shard.AdjacentParentShardId]));
    for (const id of this.finished) if (!this.shards.has(id) && !parents.has(id)) this.finished.delete(id);
    this.assignReady();
  }

  private assignReady(): void {
    if (this.closed) return;
    const ready: KinesisShardSplit[] = [];
    for (const [shardId, shard] of this.shards) {
      if (this.assigned.has(shardId) || this.finished.has(shardId)) continue;
      // A parent missing from the list has expired: its records are gone, nothing to wait for.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined && this.shards.has(id));
      if (!parents.every((id) => this.finished.has(id))) continue;
      // A shard made after `start`'s time holds only later records: AT_TIMESTAMP reads it whole, as TRIM_HORIZON would.
      ready.push({ splitId: shardId, streamName: this.settings.streamName, shardId, start: this.shardStart });
    }
    if (ready.length === 0) return;
    for (const split of ready) this.assigned.add(split.shardId);
    this.context.assignSplits(ready);
  }
}

// LATEST becomes the time of the job's first start: a shard not yet read when a checkpoint
// is taken starts from there again after a restore, and no record put in between is skipped.
function resolveStart(position: KinesisInitialPosition): KinesisShardStart {
  if (position === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  if (position === 'LATEST') return { type: 'AT_TIMESTAMP', timestamp: Date.now() };
  return { type: 'AT_TIMESTAMP', timestamp: position.timestamp };
}

interface ShardState {
  readonly split: KinesisShardSplit;
  iterator: string | undefined;
  /** Sequence number of the last record fetched: where an expired iterator is renewed from. */
  lastSequence: string | undefined;
  paused: boolean;
  ended: boolean;
  /** Not read again before this time (ms): idle polling, or backoff. */
  readyAt: number;
  failures: number;
}

/** Reads the shards it holds side by side with GetRecords, each at its own pace. */
class ShardReader implements SplitReader<KinesisRecord, KinesisShardSplit, KinesisShardPosition> {
  private readonly shards = new Map<string, ShardState>();
  private readonly logger: Logger | undefined;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private woken = false;

  constructor(
    private readonly settings: Settings,
    init: SplitReaderInit,
  ) {
    this.logger = init.logger;
  }

  addSplits(assignments: readonly SplitAssignment<KinesisShardSplit, KinesisShardPosition>[]): void {
    for (const { split, position } of assignments) {
      this.shards.set(split.splitId, { split, iterator: undefined, lastSequence: position, paused: false, ended: false, readyAt: 0, failures: 0 });
    }
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    for (const id of pause) {
      const state = this.shards.get(id);
      if (state) state.paused = true;
    }
    for (const id of resume) {
      const state = this.shards.get(id);
      if (state) state.paused = false;
    }
  }

  async fetch(): Promise<FetchResult<KinesisRecord, KinesisShardPosition>> {
    this.woken = false;
    const active = [...this.shards.values()].filter((s) => !s.paused && !s.ended);
    const now = Date.now();
    const ready = active.filter((s) => s.readyAt <= now);
    if (ready.length === 0) {
      const next = Math.min(...active.map((s) => s.readyAt));
      await this.sleep(Number.isFinite(next) ? next - now : 1000);
      return { batches: [], finished: [] };
    }
    const results = await Promise.all(ready.map((state) => this.read(state)));
    const batches: RecordBatch<KinesisRecord, KinesisShardPosition>[] = [];
    const finished: string[] = [];
    for (const [index, result] of results.entries()) {
      const state = ready[index] as ShardState;
      if (result?.batch) batches.push(result.batch);
      if (state.ended) {
        finished.push(state.split.splitId);
        this.shards.delete(state.split.splitId);
      }
    }
    return { batches, finished };
  }

  wakeUp(): void {
    this.woken = true;
    this.wake?.();
  }

  close(): void {
    this.abort.abort();
    this.wakeUp();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** One GetRecords of one shard; errors that may clear up set a backoff instead of failing. */
  private async read(state: ShardState): Promise<{ batch?: RecordBatch<KinesisRecord, KinesisShardPosition> } | undefined> {
    const { streamName, shardId } = state.split;
    try {
      state.iterator ??= await this.iterator(state);
      const response = await this.settings.client.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: this.settings.maxRecordsPerRead }), {
        abortSignal: this.abort.signal,
      });
      state.failures = 0;
      state.iterator = response.NextShardIterator;
      const records = (response.Records ?? []).map((record) => toRecord(streamName, shardId, record, response.MillisBehindLatest));
      const last = records[records.length - 1];
      if (last) state.lastSequence = last.sequenceNumber;
      // No next iterator: the shard was closed by a reshard and is read to its end.
      if (state.iterator === undefined) state.ended = true;
      // A full read means more is waiting, whatever MillisBehindLatest says (kinesalite always says 0).
      const caughtUp = records.length < this.settings.maxRecordsPerRead && (records.length === 0 || response.MillisBehindLatest === 0);
      state.readyAt = caughtUp ? Date.now() + this.settings.pollInterval : 0;
      if (records.length === 0) return undefined;
      return {
        batch: {
          splitId: state.split.splitId,
          records,
          positionAfter: (i) => (records[i] as KinesisRecord).sequenceNumber,
          ...(response.MillisBehindLatest === undefined ? {} : { lag: response.MillisBehindLatest }),
        },
      };
    } catch (error) {
      if (this.abort.signal.aborted) return undefined;
      if (awsErrorName(error) === 'ExpiredIteratorException') {
        // Iterators live 5 minutes (a long pause); a new one from the last sequence number read goes on from there.
        this.logger?.info({ stream: streamName, shard: shardId }, 'shard iterator expired; getting a new one');
        state.iterator = undefined;
        return undefined;
      }
      // The iterator stays valid through a throttled or failed read (GetRecords moves nothing): it is read again as it is.
      const failure = kinesisError(streamName, state.iterator === undefined ? 'GetShardIterator' : 'GetRecords', shardId, error);
      const throttled = isThrottling(error);
      if (!isRetriable(failure) || (!throttled && state.failures >= this.settings.retryMaxAttempts)) throw failure;
      // Throttling never fails the job: the shard is read again once its rate allows.
      state.failures++;
      const delay = exponentialBackoffRestart({ initialDelay: this.settings.retryInitialDelay, maxDelay: this.settings.retryMaxDelay, maxAttempts: Number.MAX_SAFE_INTEGER }).nextDelay(
        state.failures,
      ) as number;
      state.readyAt = Date.now() + delay;
      this.logger?.warn({ stream: streamName, shard: shardId, attempt: state.failures, delayMs: delay, err: error }, `reading shard ${shardId} failed; trying again in ${delay} ms`);
      return undefined;
    }
  }

  private async iterator(state: ShardState): Promise<string | undefined> {
    const { streamName, shardId, start } = state.split;
    let type: ShardIteratorType;
    let extra: { StartingSequenceNumber?: string; Timestamp?: Date } = {};
    if (state.lastSequence !== undefined) {
      type = 'AFTER_SEQUENCE_NUMBER';
      extra = { StartingSequenceNumber: state.lastSequence };
    } else if (start.type === 'AT_TIMESTAMP') {
      type = 'AT_TIMESTAMP';
      extra = { Timestamp: new Date(start.timestamp) };
    } else {
      type = 'TRIM_HORIZON';
    }
    const response = await this.settings.client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: type, ...extra }), {
      abortSignal: this.abort.signal,
    });
    return response.ShardIterator;
  }
}

function toRecord(streamName: string, shardId: string, record: _Record, millisBehindLatest: number | undefined): KinesisRecord {
  return {
    streamName,
    shardId,
    sequenceNumber: record.SequenceNumber as string,
    partitionKey: record.PartitionKey as string,
    data: record.Data ?? new Uint8Array(),
    approximateArrivalTimestamp: record.ApproximateArrivalTimestamp?.getTime(),
    millisBehindLatest,
  };
}
