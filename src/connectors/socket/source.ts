import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { FetchResult, Source, SourceSplit, SplitAssignment, SplitReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';
import { MalformedRecordError } from '../shared/errors.js';
import type { RecordDecoder } from '../shared/decoders.js';
import { textLines } from '../shared/decoders.js';
import { LineSplitter } from '../shared/line-splitter.js';
import { Backoff, checkAddress, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions } from '../shared/reconnect.js';
import { staticSplitEnumerator } from '../shared/enumerators.js';
import type { StaticEnumeratorState } from '../shared/enumerators.js';
import { SocketConnectError } from './errors.js';

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
 * when the connection drops, but what the server sent while the job was down
 * or reconnecting, a partial line cut by the drop, and records read after the
 * last checkpoint of a failed attempt are lost, since nothing can send them
 * again. The `'at-most-once'` in its type keeps it out of pipelines that need more.
 */
export function socketSource(options: SocketSourceOptions<string> & { readonly decoder?: undefined }): Source<string, 'at-most-once', 'deterministic', SocketSplit, SocketPosition, StaticEnumeratorState<SocketSplit>>;
export function socketSource<T>(options: SocketSourceOptions<T> & { readonly decoder: RecordDecoder<T> }): Source<T, 'at-most-once', 'deterministic', SocketSplit, SocketPosition, StaticEnumeratorState<SocketSplit>>;
export function socketSource<T>(options: SocketSourceOptions<T>): Source<T, 'at-most-once', 'deterministic', SocketSplit, SocketPosition, StaticEnumeratorState<SocketSplit>> {
  const address = checkAddress('socketSource', options.host, options.port);
  const chunkSize = options.chunkSize ?? 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigurationError(`socketSource chunkSize must be a whole number >= 1, got ${chunkSize}`);
  const reconnect = reconnectSettings('socketSource', options.reconnect);
  const decoder = (options.decoder ?? textLines()) as RecordDecoder<T>;
  const split: SocketSplit = { splitId: `tcp://${address}` };
  return {
    name: 'socket',
    guarantee: 'at-most-once',
    replay: 'deterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => [split]),
    createReader: ({ jobId, taskId, logger }) => new SocketReader(options, address, split, decoder, chunkSize, new Backoff(reconnect, logger, { jobId, taskId, peer: address })),
  };
}

const nothing: FetchResult<never, SocketPosition> = { batches: [], finished: [] };

class SocketReader<T> implements SplitReader<T, SocketSplit, SocketPosition> {
  private socket: Socket | undefined;
  private splitter = new LineSplitter();
  private assigned = false;
  private paused = false;
  private closed = false;
  // The peer closed the connection and endOnClose is set: finish once the lines received are out.
  private ending = false;
  private finished = false;
  private failure: unknown;
  // Bytes of this connection already fetched as records, for locating a malformed one.
  private connectionOffset = 0;
  private linesReceived = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly options: SocketSourceOptions<T>,
    private readonly address: string,
    private readonly split: SocketSplit,
    private readonly decoder: RecordDecoder<T>,
    private readonly chunkSize: number,
    private readonly backoff: Backoff,
  ) {}

  addSplits(assignments: readonly SplitAssignment<SocketSplit, SocketPosition>[]): void {
    for (const { position } of assignments) {
      this.linesReceived = position?.linesReceived ?? 0;
      this.assigned = true;
      this.connect();
    }
  }

  async fetch(): Promise<FetchResult<T, SocketPosition>> {
    for (;;) {
      if (this.closed || !this.assigned || this.finished) return nothing;
      if (this.failure !== undefined) throw this.failure;
      const base = this.linesReceived;
      const records: T[] = [];
      for (let line = this.splitter.next(); line; line = records.length < this.chunkSize ? this.splitter.next() : undefined) {
        records.push(this.decode(line, line.length + 1));
      }
      if (this.ending && records.length < this.chunkSize) {
        const last = this.splitter.rest();
        if (last) records.push(this.decode(last, last.length));
        this.finished = true;
        return { batches: records.length > 0 ? [this.batch(base, records)] : [], finished: [this.split.splitId] };
      }
      if (records.length > 0) return { batches: [this.batch(base, records)], finished: [] };
      // Everything received is out: let the socket deliver more (TCP flow control holds the peer meanwhile).
      if (!this.paused) this.socket?.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      if (this.paused) return nothing;
    }
  }

  wakeUp(): void {
    this.wake?.();
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    if (pause.length > 0) {
      this.paused = true;
      this.socket?.pause();
    }
    if (resume.length > 0) this.paused = false;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
    this.wake?.();
  }

  private batch(base: number, records: T[]) {
    return { splitId: this.split.splitId, records, positionAfter: (i: number): SocketPosition => ({ linesReceived: base + i + 1 }) };
  }

  private decode(line: Buffer, length: number): T {
    let record: T;
    try {
      record = this.decoder.decode(line);
    } catch (cause) {
      this.close();
      throw new MalformedRecordError(`tcp://${this.address}`, this.connectionOffset, cause);
    }
    this.connectionOffset += length;
    this.linesReceived++;
    return record;
  }

  private connect(): void {
    if (this.closed) return;
    let failure: unknown;
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    socket.on('connect', () => this.backoff.reset());
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      // Hold further data in the socket (TCP flow control) until these lines are fetched.
      socket.pause();
      this.wake?.();
    });
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      if (this.closed || socket !== this.socket) return;
      this.socket = undefined;
      if (failure === undefined && this.options.endOnClose) {
        this.ending = true;
        this.wake?.();
      } else this.reconnect(failure ?? new Error('connection closed by peer'));
    });
  }

  private reconnect(cause: unknown): void {
    // A line cut by the drop cannot be completed by the next connection.
    this.splitter = new LineSplitter();
    this.connectionOffset = 0;
    const delay = this.backoff.next(cause);
    if (delay === undefined) {
      this.failure = new SocketConnectError(this.address, this.backoff.failures - 1, cause);
      this.wake?.();
      return;
    }
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }
}
