import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Source, SourceOutput, SourceReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';
import { MalformedRecordError } from '../shared/errors.js';
import type { RecordDecoder } from '../shared/decoders.js';
import { textLines } from '../shared/decoders.js';
import { LineSplitter } from '../shared/line-splitter.js';
import { Backoff, checkAddress, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions } from '../shared/reconnect.js';
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
  /** Records emitted before yielding to the event loop. Default 1024. */
  readonly chunkSize?: number;
}

/**
 * What a socket source stores in a checkpoint. It cannot rewind, so this is
 * an account, not a place to resume from: lines received over the job's life.
 */
export interface SocketPosition {
  readonly linesReceived: number;
}

/**
 * Reads lines from a TCP server, at-most-once: it reconnects with backoff
 * when the connection drops, but what the server sent while the job was down
 * or reconnecting, a partial line cut by the drop, and records read after the
 * last checkpoint of a failed attempt are lost, since nothing can send them
 * again. The `'at-most-once'` in its type keeps it out of pipelines that need more.
 */
export function socketSource(options: SocketSourceOptions<string> & { readonly decoder?: undefined }): Source<string, 'at-most-once', 'deterministic'>;
export function socketSource<T>(options: SocketSourceOptions<T> & { readonly decoder: RecordDecoder<T> }): Source<T, 'at-most-once', 'deterministic'>;
export function socketSource<T>(options: SocketSourceOptions<T>): Source<T, 'at-most-once', 'deterministic'> {
  const address = checkAddress('socketSource', options.host, options.port);
  const chunkSize = options.chunkSize ?? 1024;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigurationError(`socketSource chunkSize must be a whole number >= 1, got ${chunkSize}`);
  const reconnect = reconnectSettings('socketSource', options.reconnect);
  const decoder = (options.decoder ?? textLines()) as RecordDecoder<T>;
  return {
    name: 'socket',
    guarantee: 'at-most-once',
    replay: 'deterministic',
    createReader: ({ jobId, taskId, restoredPosition: restored, logger }) =>
      new SocketReader(
        options,
        address,
        decoder,
        chunkSize,
        new Backoff(reconnect, logger, { jobId, taskId, peer: address }),
        (restored as SocketPosition | undefined)?.linesReceived ?? 0,
      ),
  };
}

class SocketReader<T> implements SourceReader<T, SocketPosition> {
  private socket: Socket | undefined;
  private splitter = new LineSplitter();
  private output: SourceOutput<T> | undefined;
  private paused = false;
  private closed = false;
  private scheduled = false;
  // The peer closed the connection and endOnClose is set: complete once the lines received are out.
  private ending = false;
  private completed = false;
  // Bytes of this connection already emitted as records, for locating a malformed one.
  private connectionOffset = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: SocketSourceOptions<T>,
    private readonly address: string,
    private readonly decoder: RecordDecoder<T>,
    private readonly chunkSize: number,
    private readonly backoff: Backoff,
    private linesReceived: number,
  ) {}

  start(output: SourceOutput<T>): void {
    this.output = output;
    this.connect();
  }

  position(): SocketPosition {
    return { linesReceived: this.linesReceived };
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    // Go on from the reader's own loop, a chunk at a time, like every other chunk.
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    let failure: unknown;
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    socket.on('connect', () => this.backoff.reset());
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      // Hold further data in the socket (TCP flow control) until these lines are out.
      socket.pause();
      this.emitChunk();
    });
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      if (this.closed || socket !== this.socket) return;
      this.socket = undefined;
      if (failure === undefined && this.options.endOnClose) {
        this.ending = true;
        this.emitChunk();
      } else this.reconnect(failure ?? new Error('connection closed by peer'));
    });
  }

  private reconnect(cause: unknown): void {
    // A line cut by the drop cannot be completed by the next connection.
    this.splitter = new LineSplitter();
    this.connectionOffset = 0;
    const delay = this.backoff.next(cause);
    if (delay === undefined) {
      this.output?.error(new SocketConnectError(this.address, this.backoff.failures - 1, cause));
      return;
    }
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private emitChunk(): void {
    this.scheduled = false;
    const output = this.output;
    if (!output || this.closed || this.paused || this.completed) return;
    if (this.drainLines(output, this.chunkSize) === this.chunkSize) {
      this.schedule();
    } else if (this.ending && !this.paused && !this.closed) {
      const last = this.splitter.rest();
      if (last) this.emit(last, last.length, output);
      this.completed = true;
      output.complete();
    } else if (!this.paused) {
      this.socket?.resume();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.emitChunk());
  }

  private drainLines(output: SourceOutput<T>, limit: number): number {
    let emitted = 0;
    while (emitted < limit && !this.paused && !this.closed) {
      const line = this.splitter.next();
      if (!line) break;
      this.emit(line, line.length + 1, output);
      emitted++;
    }
    return emitted;
  }

  private emit(line: Buffer, length: number, output: SourceOutput<T>): void {
    let record: T;
    try {
      record = this.decoder.decode(line);
    } catch (cause) {
      this.close();
      output.error(new MalformedRecordError(`tcp://${this.address}`, this.connectionOffset, cause));
      return;
    }
    this.connectionOffset += length;
    this.linesReceived++;
    output.next(record);
  }
}
