import type { FetchResult, RecordBatch, Source, SourceSplit, SplitAssignment, SplitReader } from '../../contracts/source.js';
import type { LogFields, Logger } from '../../contracts/logger.js';
import { ConfigurationError } from '../../errors.js';
import { MalformedRecordError } from '../shared/errors.js';
import type { RecordDecoder } from '../shared/decoders.js';
import { textLines } from '../shared/decoders.js';
import { checkMaxLineLength } from '../shared/line-splitter.js';
import type { ReconnectOptions } from '../shared/reconnect.js';
import { connectionSettings, Reconnector } from './connection.js';
import type { ConnectionSettings } from './connection.js';
import { LineConnection } from './line-connection.js';
import { staticSplitEnumerator } from '../shared/enumerators.js';
import type { StaticEnumeratorState } from '../shared/enumerators.js';

/** Options of {@link socketSource}. */
export interface SocketSourceOptions<T> {
  /** The server's host name or address. */
  readonly host: string;
  /** The server's TCP port. */
  readonly port: number;
  /** Turns each line into a record. Default strict UTF-8 text lines. */
  readonly decoder?: RecordDecoder<T>;
  /** Backoff and attempts when the connection is lost or cannot be made. */
  readonly reconnect?: ReconnectOptions;
  /** Longest wait for one connection attempt, in ms. Default 10 000. */
  readonly connectTimeout?: number;
  /** Longest line accepted, in bytes; a longer one fails the job with a {@link LineTooLongError} naming the peer and the line's offset in the connection. Default 16 MiB. */
  readonly maxLineLength?: number;
  /** Complete (a bounded source) when the peer closes the connection, instead of connecting again. Default false. */
  readonly endOnClose?: boolean;
  /** Records a fetch returns at most. Default 1024. */
  readonly chunkSize?: number;
}

/**
 * What a socket source stores in a checkpoint. It cannot rewind, so this is
 * an account, not a place to resume from: lines received over the job's life.
 */
export interface SocketPosition {
  readonly linesReceived: number;
}

/** The one split of a socket source: its connection. */
export interface SocketSplit extends SourceSplit {
  /** `tcp://host:port`. */
  readonly splitId: string;
}

/**
 * Reads lines from a TCP server, at-most-once: it reconnects with backoff
 * when the connection drops or the server closes it, and emits every complete
 * line received before that; but what the server sent while the job was down
 * or reconnecting, a last line without a newline when the connection ends
 * (unless `endOnClose`, when it is the stream's last line), and records read
 * after the last checkpoint of a failed attempt are lost, since nothing can
 * send them again. The `'at-most-once'` in its type keeps it out of pipelines that need more.
 */
export function socketSource(
  options: SocketSourceOptions<string> & { readonly decoder?: undefined },
): Source<string, 'at-most-once', 'deterministic', SocketSplit, SocketPosition, StaticEnumeratorState<SocketSplit>>;
export function socketSource<T>(
  options: SocketSourceOptions<T> & { readonly decoder: RecordDecoder<T> },
): Source<T, 'at-most-once', 'deterministic', SocketSplit, SocketPosition, StaticEnumeratorState<SocketSplit>>;
export function socketSource<T>(options: SocketSourceOptions<T>): Source<T, 'at-most-once', 'deterministic', SocketSplit, SocketPosition, StaticEnumeratorState<SocketSplit>> {
  const connection = connectionSettings('socketSource', options);
  const chunkSize = options.chunkSize ?? 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigurationError(`socketSource chunkSize must be a whole number >= 1, got ${chunkSize}`);
  const settings: ReaderSettings<T> = {
    connection,
    decoder: (options.decoder ?? textLines()) as RecordDecoder<T>,
    chunkSize,
    endOnClose: options.endOnClose ?? false,
    maxLineLength: checkMaxLineLength('socketSource', options.maxLineLength),
  };
  const split: SocketSplit = { splitId: `tcp://${connection.address}` };
  return {
    name: 'socket',
    guarantee: 'at-most-once',
    replay: 'deterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => [split]),
    createReader: ({ jobId, taskId, logger }) => new SocketReader(settings, split, logger, { jobId, taskId, peer: connection.address }),
  };
}

interface ReaderSettings<T> {
  readonly connection: ConnectionSettings;
  readonly decoder: RecordDecoder<T>;
  readonly chunkSize: number;
  readonly endOnClose: boolean;
  readonly maxLineLength: number;
}

const nothing: FetchResult<never, SocketPosition> = { batches: [], finished: [] };

class SocketReader<T> implements SplitReader<T, SocketSplit, SocketPosition> {
  private readonly reconnector: Reconnector;
  // Oldest first: a connection that ended stays until its lines are out, while the next one is already made.
  private connections: LineConnection[] = [];
  private assigned = false;
  private closed = false;
  private finished = false;
  private failure: unknown;
  private linesReceived = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settings: ReaderSettings<T>,
    private readonly split: SocketSplit,
    logger: Logger | undefined,
    fields: LogFields,
  ) {
    this.reconnector = new Reconnector(settings.connection, logger, fields);
  }

  addSplits(assignments: readonly SplitAssignment<SocketSplit, SocketPosition>[]): void {
    for (const { position } of assignments) {
      this.linesReceived = position?.linesReceived ?? 0;
      this.assigned = true;
      this.connect(undefined);
    }
  }

  async fetch(): Promise<FetchResult<T, SocketPosition>> {
    for (;;) {
      if (this.closed || !this.assigned || this.finished) return nothing;
      if (this.failure !== undefined) throw this.failure;
      const base = this.linesReceived;
      const records: T[] = [];
      try {
        const ended = this.take(records);
        if (ended) {
          this.finished = true;
          return { batches: records.length > 0 ? [this.batch(base, records)] : [], finished: [this.split.splitId] };
        }
      } catch (error) {
        // The good lines before a bad one go out first; the next fetch fails the source.
        if (records.length === 0) throw error;
        this.failure = error;
      }
      if (records.length > 0) return { batches: [this.batch(base, records)], finished: [] };
      // Nothing yet: next() let the socket read on, and its next chunk (or its end) wakes this fetch.
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  wakeUp(): void {
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.reconnector.close();
    for (const connection of this.connections) connection.destroy();
    this.wake?.();
  }

  /** Take up to a chunk of lines; true when the stream ended for good (a clean close with endOnClose). */
  private take(records: T[]): boolean {
    while (records.length < this.settings.chunkSize) {
      const connection = this.connections[0];
      if (!connection) return false;
      const line = connection.next();
      if (line) {
        records.push(this.decode(connection, line));
        continue;
      }
      if (!connection.end) return false;
      // Ended, and every complete line it brought is out.
      this.connections.shift();
      const last = connection.rest();
      if (connection.end === 'clean' && this.settings.endOnClose) {
        if (last) records.push(this.decode(connection, last));
        return true;
      }
    }
    return false;
  }

  private batch(base: number, records: T[]): RecordBatch<T, SocketPosition> {
    return { splitId: this.split.splitId, records, positionAfter: (i) => ({ linesReceived: base + i + 1 }) };
  }

  private connect(lastFailure: unknown): void {
    this.reconnector.connect(lastFailure).then(
      (socket) => {
        if (this.closed) return socket.destroy();
        this.reconnector.reset();
        const connection = new LineConnection(socket, `tcp://${this.settings.connection.address}`, this.settings.maxLineLength, {
          readable: () => this.wake?.(),
          ended: () => this.ended(connection),
        });
        this.connections.push(connection);
      },
      (error: unknown) => {
        if (this.closed) return;
        this.failure = error;
        this.wake?.();
      },
    );
  }

  // The connection ended: connect again at once (after backoff), while its lines are still being fetched.
  private ended(connection: LineConnection): void {
    if (this.closed) return;
    if (!(connection.end === 'clean' && this.settings.endOnClose)) {
      this.connect(connection.end === 'clean' ? new Error('connection closed by peer') : connection.failure);
    }
    this.wake?.();
  }

  private decode(connection: LineConnection, line: Buffer): T {
    let record: T;
    try {
      record = this.settings.decoder.decode(line);
    } catch (cause) {
      throw new MalformedRecordError(connection.peer, connection.lineOffset, cause);
    }
    this.linesReceived++;
    return record;
  }
}
