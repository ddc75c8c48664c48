import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Sink, SinkWriter } from '../../contracts/sink.js';
import { ConfigurationError } from '../../errors.js';
import { defaultLineFormat } from '../shared/format.js';
import { LineSplitter } from '../shared/line-splitter.js';
import { SocketConnectError } from './errors.js';
import { Backoff, checkAddress, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions } from '../shared/reconnect.js';

/** Options of {@link socketSink}. */
export interface SocketSinkOptions<T> {
  /** The server's host name or address. */
  readonly host: string;
  /** The server's TCP port. */
  readonly port: number;
  /** Turns a record into its line (without the newline). Default: strings as they are, anything else as JSON. */
  readonly format?: ((record: T) => string) | undefined;
  /** Backoff and attempts when the connection is lost or cannot be made. */
  readonly reconnect?: ReconnectOptions | undefined;
  /**
   * How the sink learns what the server received:
   * - `'line-count'`: the server writes back, as a line, how many lines it has
   *   taken on this connection so far (`"120\n"`). A line is let go only once
   *   counted, a barrier waits for its lines to be counted, and after a drop
   *   everything not counted is sent again: at-least-once.
   * - `'none'` (default): plain TCP, which does not tell what the peer read. A
   *   barrier waits until its lines are handed to the operating system, and a
   *   drop the sink notices before a barrier sends them again, but bytes in
   *   flight when a connection dies after a barrier are lost: at-most-once.
   */
  readonly acknowledgements?: 'none' | 'line-count' | undefined;
}

/**
 * Writes one line per record to a TCP server, flushing at each barrier and
 * reconnecting with backoff. Its guarantee depends on whether the server
 * acknowledges what it received (see {@link SocketSinkOptions.acknowledgements}):
 * at-least-once with `'line-count'`, at-most-once without. Past the reconnect
 * attempts the job fails with a retriable {@link SocketConnectError} and
 * restarts from its last checkpoint.
 */
export function socketSink<T>(options: SocketSinkOptions<T> & { readonly acknowledgements: 'line-count' }): Sink<T, 'at-least-once', 'at-most-once', false, never, undefined>;
export function socketSink<T>(options: SocketSinkOptions<T> & { readonly acknowledgements?: 'none' | undefined }): Sink<T, 'at-most-once', 'at-most-once', false, never, undefined>;
/** A mode known only at run time (from configuration): the type says it may be either, so the pipeline counts it as at-most-once. */
export function socketSink<T>(options: SocketSinkOptions<T>): Sink<T, 'at-least-once' | 'at-most-once', 'at-most-once', false, never, undefined>;
export function socketSink<T>(options: SocketSinkOptions<T>): Sink<T, 'at-least-once' | 'at-most-once', 'at-most-once', false, never, undefined> {
  const address = checkAddress('socketSink', options.host, options.port);
  const reconnect = reconnectSettings('socketSink', options.reconnect);
  const { acknowledgements = 'none' } = options;
  if (acknowledgements !== 'none' && acknowledgements !== 'line-count') {
    throw new ConfigurationError(`socketSink acknowledgements must be 'none' or 'line-count', got ${String(acknowledgements)}`);
  }
  const format = options.format ?? defaultLineFormat;
  return {
    name: 'socket',
    guarantee: acknowledgements === 'line-count' ? 'at-least-once' : 'at-most-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    createWriter: async () => {
      const writer = new SocketWriter<T>(options.host, options.port, address, format, acknowledgements === 'line-count', new Backoff(reconnect));
      await writer.connected();
      return writer;
    },
  };
}

class SocketWriter<T> implements SinkWriter<T, never, undefined> {
  // Lines not yet known to be received (acknowledged, or flushed at a barrier without acknowledgements): sent again on a new connection.
  private unconfirmed: Buffer[] = [];
  private head = 0;
  // Lines the server has counted on the current connection.
  private counted = 0;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private onProgress: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly address: string,
    private readonly format: (record: T) => string,
    private readonly acknowledged: boolean,
    private readonly backoff: Backoff,
  ) {}

  /** Resolves once connected (after retries), rejects with a SocketConnectError when attempts are used up. */
  async connected(): Promise<Socket> {
    if (this.socket) return this.socket;
    this.connecting ??= this.connectWithRetries().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  write(record: T): void | Promise<void> {
    const line = Buffer.from(`${this.format(record)}\n`, 'utf8');
    this.unconfirmed.push(line);
    const socket = this.socket;
    // Disconnected: the line is kept and goes out with the rest once reconnected.
    if (!socket) return this.connected().then(() => undefined);
    if (!socket.write(line)) return this.drained(socket);
  }

  async prepareCommit(): Promise<never[]> {
    for (;;) {
      const socket = await this.connected();
      const flushed = await new Promise<boolean>((resolve) => socket.write('', (error) => resolve(!error)));
      if (flushed && this.acknowledged) await this.countedOrClosed(socket);
      // A connection that dropped meanwhile: connect again, which sends everything unconfirmed again.
      if (socket === this.socket && (!this.acknowledged || this.head === this.unconfirmed.length)) break;
    }
    this.unconfirmed = [];
    this.head = 0;
    return [];
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.onProgress?.();
  }

  private async connectWithRetries(): Promise<Socket> {
    for (;;) {
      try {
        const socket = await this.open();
        this.backoff.reset();
        this.socket = socket;
        this.counted = 0;
        this.unconfirmed = this.unconfirmed.slice(this.head);
        this.head = 0;
        for (const line of this.unconfirmed) socket.write(line);
        return socket;
      } catch (cause) {
        const delay = this.backoff.next();
        if (delay === undefined || this.closed) throw new SocketConnectError(this.address, this.backoff.failures - 1, cause);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port });
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => {});
        socket.on('close', () => {
          if (this.socket === socket) this.socket = undefined;
          this.onProgress?.();
        });
        if (this.acknowledged) this.readCounts(socket);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  private readCounts(socket: Socket): void {
    const splitter = new LineSplitter();
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      splitter.push(chunk);
      for (let line = splitter.next(); line; line = splitter.next()) {
        const count = Number(line.toString('utf8').trim());
        // A count beyond what was sent, or not a count at all, is a broken peer: drop the connection and send again.
        if (!Number.isInteger(count) || count < this.counted || count - this.counted > this.unconfirmed.length - this.head) {
          socket.destroy();
          return;
        }
        this.head += count - this.counted;
        this.counted = count;
      }
      this.onProgress?.();
    });
  }

  // Resolves when every line sent is counted, or the connection closed.
  private countedOrClosed(socket: Socket): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.head < this.unconfirmed.length && socket === this.socket && !this.closed) return;
        this.onProgress = undefined;
        resolve();
      };
      this.onProgress = check;
      check();
    });
  }

  private drained(socket: Socket): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done).off('close', done);
        resolve();
      };
      // A connection that closes instead of draining is replaced by the next write or barrier.
      socket.once('drain', done).once('close', done);
    });
  }
}
