import type { SinkWriter } from '../../contracts/sink.js';
import { ConfigurationError, isRetriable, messageOf, OnceflowError } from '../../errors.js';
import { exponentialBackoffRestart } from '../../contracts/restart.js';
import { Waiters } from './waiters.js';

/** An entry of a batch that the system did not take, by its place in the batch. */
export interface RejectedEntry {
  /** Index of the entry in the batch handed to `submit`. */
  readonly index: number;
  /** Why; retried when `isRetriable(error)` (429, 503, throttling), otherwise the sink fails naming the entry. */
  readonly error: unknown;
}

/** Options of {@link BatchingSinkWriter}. */
export interface BatchingWriterOptions<T, E> {
  /** Turn a record into what the system takes (a bulk action, a PutRecords entry, a bound statement). */
  readonly toEntry: (record: T) => E;
  /**
   * Send one batch. Resolve with the entries the system rejected (none when
   * it took all); reject when the request as a whole failed, which counts as
   * every entry rejected with that error.
   */
  readonly submit: (entries: readonly E[]) => Promise<readonly RejectedEntry[]>;
  /** An entry's size in bytes, for the byte limits. Default: the length of its JSON. */
  readonly sizeOf?: (entry: E) => number;
  /** How an entry is named in errors. Default: the first 200 characters of its JSON. */
  readonly describe?: (entry: E) => string;
  /** Entries in one request at most. Default 500. */
  readonly maxBatchSize?: number;
  /** Bytes in one request at most. Default 5 MiB. */
  readonly maxBatchBytes?: number;
  /** Bytes of one entry at most; a larger one fails the sink, naming it. Default `maxBatchBytes`. */
  readonly maxEntryBytes?: number;
  /** Requests in flight at once. Default 4. */
  readonly maxInFlightRequests?: number;
  /** Entries buffered or in flight before `write` holds back the records behind it. Default 10 000. */
  readonly maxBufferedEntries?: number;
  /** A partly filled batch is sent this many ms after its first entry arrived. Default 1000. */
  readonly maxTimeInBuffer?: number;
  /** Backoff for rejected entries that may succeed later. Defaults: 100 ms doubling to 5 s, 10 attempts. */
  readonly retry?: { readonly initialDelay?: number; readonly maxDelay?: number; readonly maxAttempts?: number };
}

/** An entry the system rejected for good, or kept rejecting past the retry budget. */
export class BatchWriteError extends OnceflowError {
  override readonly name = 'BatchWriteError';
  constructor(
    message: string,
    /** The entry at fault, as `describe` names it. */
    readonly entry: string,
    options: { cause?: unknown; retriable: boolean },
  ) {
    super(message, options);
  }
}

interface Item<E> {
  readonly entry: E;
  readonly size: number;
  attempts: number;
}

/** A value as JSON, cut at 200 characters: how errors name a record or entry. */
export function jsonPreview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/**
 * The one base for sinks that send batches (Elasticsearch bulk, Kinesis
 * PutRecords, Cassandra concurrent writes, Redis pipelines), as Flink's
 * `AsyncSinkWriter`: it buffers entries, sends them by count, bytes or time
 * with a bound on requests in flight, retries with backoff the entries a
 * response rejects as retriable, and on a barrier flushes and waits until
 * every entry is taken: at-least-once. Write a sink by giving it a
 * `toEntry` and a `submit`.
 */
export class BatchingSinkWriter<T, E> implements SinkWriter<T> {
  private buffer: Item<E>[] = [];
  private bufferedBytes = 0;
  private inFlightRequests = 0;
  private inFlightEntries = 0;
  private retrying = 0;
  private failure: Error | undefined;
  private closed = false;
  // A barrier waits: partly filled batches go out as soon as a request slot frees up.
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Waiters();
  private readonly sizeOf: (entry: E) => number;
  private readonly describe: (entry: E) => string;
  private readonly maxBatchSize: number;
  private readonly maxBatchBytes: number;
  private readonly maxEntryBytes: number;
  private readonly maxInFlightRequests: number;
  private readonly maxBufferedEntries: number;
  private readonly maxTimeInBuffer: number;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => number;

  constructor(private readonly options: BatchingWriterOptions<T, E>) {
    this.sizeOf = options.sizeOf ?? ((entry) => Buffer.byteLength(JSON.stringify(entry) ?? ''));
    this.describe = options.describe ?? jsonPreview;
    this.maxBatchSize = whole('maxBatchSize', options.maxBatchSize ?? 500, 1);
    this.maxBatchBytes = whole('maxBatchBytes', options.maxBatchBytes ?? 5 * 1024 * 1024, 1);
    this.maxEntryBytes = whole('maxEntryBytes', options.maxEntryBytes ?? this.maxBatchBytes, 1);
    this.maxInFlightRequests = whole('maxInFlightRequests', options.maxInFlightRequests ?? 4, 1);
    this.maxBufferedEntries = whole('maxBufferedEntries', options.maxBufferedEntries ?? 10_000, 1);
    this.maxTimeInBuffer = whole('maxTimeInBuffer', options.maxTimeInBuffer ?? 1000, 0);
    const { initialDelay = 100, maxDelay = 5000, maxAttempts = 10 } = options.retry ?? {};
    this.maxAttempts = whole('retry.maxAttempts', maxAttempts, 1);
    const schedule = exponentialBackoffRestart({ initialDelay, maxDelay, maxAttempts });
    this.backoff = (attempt) => schedule.nextDelay(attempt) ?? maxDelay;
  }

  write(record: T): void | Promise<void> {
    if (this.failure) throw this.failure;
    const entry = this.options.toEntry(record);
    const size = this.sizeOf(entry);
    if (size > this.maxEntryBytes) {
      const name = this.describe(entry);
      throw new BatchWriteError(`entry ${name} is ${size} bytes, above the limit of ${this.maxEntryBytes} bytes`, name, { retriable: false });
    }
    this.buffer.push({ entry, size, attempts: 0 });
    this.bufferedBytes += size;
    if (this.buffer.length >= this.maxBatchSize || this.bufferedBytes >= this.maxBatchBytes) this.send(false);
    else this.timer ??= setTimeout(() => this.onTimer(), this.maxTimeInBuffer);
    if (this.outstanding() >= this.maxBufferedEntries) return this.until(() => this.outstanding() < this.maxBufferedEntries);
  }

  /** Send everything buffered and resolve once every entry is taken; reject with the first entry that failed for good. */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    this.flushing = true;
    try {
      this.send(true);
      await this.until(() => this.buffer.length === 0 && this.inFlightRequests === 0 && this.retrying === 0);
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Stop sending, and resolve once the requests in flight have answered; what was not flushed
   * is written again after a restore. Waiting matters twice: a request of this attempt landing
   * after the next attempt's writes would put an older value back, and a client closed under a
   * request (kafkajs's admin, say) opens a new connection for it that keeps the process alive.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.notify();
    await this.waiters.until(
      () => this.inFlightRequests === 0,
      () => undefined,
    );
  }

  private outstanding(): number {
    return this.buffer.length + this.inFlightEntries + this.retrying;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.send(true);
  }

  /** Fill the free request slots: with full batches only, or with whatever is buffered when `partial`. */
  private send(partial: boolean): void {
    while (!this.closed && !this.failure && this.inFlightRequests < this.maxInFlightRequests && this.buffer.length > 0) {
      const batch = this.takeBatch(partial);
      if (!batch) break;
      this.inFlightRequests++;
      this.inFlightEntries += batch.length;
      void this.submit(batch);
    }
    if (this.buffer.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => this.onTimer(), this.maxTimeInBuffer);
    }
  }

  private takeBatch(partial: boolean): Item<E>[] | undefined {
    let count = 0;
    let bytes = 0;
    while (count < this.buffer.length && count < this.maxBatchSize) {
      const size = (this.buffer[count] as Item<E>).size;
      if (count > 0 && bytes + size > this.maxBatchBytes) break;
      bytes += size;
      count++;
    }
    const full = count === this.maxBatchSize || count < this.buffer.length;
    if (!full && !partial) return undefined;
    this.bufferedBytes -= bytes;
    return this.buffer.splice(0, count);
  }

  private async submit(batch: Item<E>[]): Promise<void> {
    let rejected: readonly RejectedEntry[];
    try {
      rejected = await this.options.submit(batch.map((item) => item.entry));
    } catch (error) {
      rejected = batch.map((_, index) => ({ index, error }));
    }
    this.inFlightRequests--;
    this.inFlightEntries -= batch.length;
    for (const { index, error } of rejected) {
      const item = batch[index];
      if (item) this.reject(item, error);
    }
    this.send(this.flushing);
    this.notify();
  }

  private reject(item: Item<E>, error: unknown): void {
    item.attempts++;
    if (this.closed || this.failure) return;
    const name = this.describe(item.entry);
    if (!isRetriable(error)) {
      this.fail(new BatchWriteError(`entry ${name} was rejected: ${messageOf(error)}`, name, { cause: error, retriable: false }));
    } else if (item.attempts >= this.maxAttempts) {
      this.fail(new BatchWriteError(`entry ${name} was still rejected after ${item.attempts} attempts: ${messageOf(error)}`, name, { cause: error, retriable: true }));
    } else {
      this.retrying++;
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.retrying--;
        this.buffer.unshift(item);
        this.bufferedBytes += item.size;
        this.send(true);
      }, this.backoff(item.attempts));
      this.retryTimers.add(timer);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  // A closed writer stops waiting without failing: what was not flushed is written again after a restore.
  private until(done: () => boolean): Promise<void> {
    return this.waiters.until(
      () => done() || this.closed,
      () => this.failure,
    );
  }

  private notify(): void {
    this.waiters.notify();
  }
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigurationError(`batching sink ${name} must be a whole number >= ${min}, got ${value}`);
  return value;
}
