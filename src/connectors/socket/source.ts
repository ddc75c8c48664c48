import type { Source, SourceOutput, SourceReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';
import { MalformedRecordError } from '../shared/errors.js';
import type { RecordDecoder } from '../shared/decoders.js';
import { textLines } from '../shared/decoders.js';
import { checkMaxLineLength } from '../shared/line-splitter.js';
import type { ReconnectOptions } from '../shared/reconnect.js';
import { connectionSettings, Reconnector } from './connection.js';
import type { ConnectionSettings } from './connection.js';
import { LineConnection } from './line-connection.js';

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
 * when the connection drops or the server closes it, and emits every complete
 * line received before that; but what the server sent while the job was down
 * or reconnecting, a last line without a newline when the connection ends
 * (unless `endOnClose`, when it is the stream's last line), and records read
 * after the last checkpoint of a failed attempt are lost, since nothing can
 * send them again. The `'at-most-once'` in its type keeps it out of pipelines that need more.
 */
export function socketSource(options: SocketSourceOptions<string> & { readonly decoder?: undefined }): Source<string, 'at-most-once', 'deterministic'>;
export function socketSource<T>(options: SocketSourceOptions<T> & { readonly decoder: RecordDecoder<T> }): Source<T, 'at-most-once', 'deterministic'>;
export function socketSource<T>(options: SocketSourceOptions<T>): Source<T, 'at-most-once', 'deterministic'> {
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
  return {
    name: 'socket',
    guarantee: 'at-most-once',
    replay: 'deterministic',
    createReader: ({ restoredPosition: restored }) => new SocketReader(settings, (restored as SocketPosition | undefined)?.linesReceived ?? 0),
  };
}

interface ReaderSettings<T> {
  readonly connection: ConnectionSettings;
  readonly decoder: RecordDecoder<T>;
  readonly chunkSize: number;
  readonly endOnClose: boolean;
  readonly maxLineLength: number;
}

class SocketReader<T> implements SourceReader<T, SocketPosition> {
  private readonly reconnector: Reconnector;
  private readonly peer: string;
  // Oldest first: a connection that ended stays until its lines are out, while the next one is already made.
  private connections: LineConnection[] = [];
  private output: SourceOutput<T> | undefined;
  private paused = false;
  private closed = false;
  private scheduled = false;
  private completed = false;

  constructor(
    private readonly settings: ReaderSettings<T>,
    private linesReceived: number,
  ) {
    this.reconnector = new Reconnector(settings.connection);
    this.peer = `tcp://${settings.connection.address}`;
  }

  start(output: SourceOutput<T>): void {
    this.output = output;
    this.connect(undefined);
  }

  position(): SocketPosition {
    return { linesReceived: this.linesReceived };
  }

  pause(): void {
    // Sockets pause themselves after each chunk and resume only when their lines are taken.
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    // Go on from the reader's own loop, a chunk at a time, like every other chunk.
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.reconnector.close();
    for (const connection of this.connections) connection.destroy();
  }

  private connect(lastFailure: unknown): void {
    this.reconnector.connect(lastFailure).then(
      (socket) => {
        if (this.closed) return socket.destroy();
        this.reconnector.reset();
        const connection = new LineConnection(socket, this.peer, this.settings.maxLineLength, {
          readable: () => this.emitChunk(),
          ended: () => this.ended(connection),
        });
        this.connections.push(connection);
      },
      (error: unknown) => this.fail(error),
    );
  }

  // The connection ended: connect again at once (after backoff), while its lines are still being emitted.
  private ended(connection: LineConnection): void {
    if (this.closed || (connection.end === 'clean' && this.settings.endOnClose)) return this.emitChunk();
    this.connect(connection.end === 'clean' ? new Error('connection closed by peer') : connection.failure);
    this.emitChunk();
  }

  private emitChunk(): void {
    this.scheduled = false;
    const output = this.output;
    if (!output || this.closed || this.paused || this.completed) return;
    try {
      let emitted = 0;
      while (emitted < this.settings.chunkSize && !this.paused && !this.closed) {
        const connection = this.connections[0];
        if (!connection) return;
        const line = connection.next();
        if (line) {
          this.emit(connection, line, output);
          emitted++;
          continue;
        }
        // Nothing more yet: next() let the socket read on, and its next chunk calls back.
        if (!connection.end) return;
        // Ended, and every complete line it brought is out.
        this.connections.shift();
        const last = connection.rest();
        if (connection.end === 'clean' && this.settings.endOnClose) {
          if (last) this.emit(connection, last, output);
          if (this.closed) return;
          this.completed = true;
          return output.complete();
        }
      }
      if (emitted === this.settings.chunkSize) this.schedule();
    } catch (error) {
      this.fail(error);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.emitChunk());
  }

  private emit(connection: LineConnection, line: Buffer, output: SourceOutput<T>): void {
    let record: T;
    try {
      record = this.settings.decoder.decode(line);
    } catch (cause) {
      throw new MalformedRecordError(connection.peer, connection.lineOffset, cause);
    }
    this.linesReceived++;
    output.next(record);
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.close();
    this.output?.error(error);
  }
}
