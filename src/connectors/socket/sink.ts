import type { Socket } from 'node:net';
import type { FlushingSink, SinkWriter } from '../../contracts/sink.js';
import { ConfigurationError } from '../../errors.js';
import { defaultLineFormat } from '../shared/format.js';
import type { ReconnectOptions } from '../shared/reconnect.js';
import { connectionSettings, Reconnector } from './connection.js';
import { SocketAcknowledgementTimeoutError, SocketClosedError, SocketProtocolError } from './errors.js';
import type { SocketConnectError } from './errors.js';
import { LineCountReader } from './line-count.js';

/** Options of {@link socketSink}. */
export interface SocketSinkOptions<T> {
  /** The server's host name or address. */
  readonly host: string;
  /** The server's TCP port. */
  readonly port: number;
  /** Turns a record into its line (without the newline). Default: strings as they are, anything else as JSON. */
  readonly format?: ((record: T) => string) | undefined;
  /** Backoff and attempts when the connection is lost, cannot be made, or the server breaks the acknowledgement protocol. */
  readonly reconnect?: ReconnectOptions | undefined;
  /** Longest wait for one connection attempt, in ms. Default 10 000. */
  readonly connectTimeout?: number | undefined;
  /**
   * With `'line-count'`: longest wait, from a checkpoint barrier, for the
   * server to acknowledge the lines written before it, in ms; past it the job
   * fails with a retriable {@link SocketAcknowledgementTimeoutError}. Default 30 000.
   */
  readonly ackTimeout?: number | undefined;
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
 * restarts from its last checkpoint; a server that keeps breaking the
 * acknowledgement protocol fails it with a {@link SocketProtocolError}.
 */
export function socketSink<T>(options: SocketSinkOptions<T> & { readonly acknowledgements: 'line-count' }): FlushingSink<T, 'at-least-once'>;
export function socketSink<T>(options: SocketSinkOptions<T> & { readonly acknowledgements?: 'none' | undefined }): FlushingSink<T, 'at-most-once'>;
/** A mode known only at run time (from configuration): the type says it may be either, so the pipeline counts it as at-most-once. */
export function socketSink<T>(options: SocketSinkOptions<T>): FlushingSink<T, 'at-least-once' | 'at-most-once'>;
export function socketSink<T>(options: SocketSinkOptions<T>): FlushingSink<T, 'at-least-once' | 'at-most-once'> {
  const connection = connectionSettings('socketSink', options);
  const { acknowledgements = 'none', ackTimeout = 30_000 } = options;
  if (acknowledgements !== 'none' && acknowledgements !== 'line-count') {
    throw new ConfigurationError(`socketSink acknowledgements must be 'none' or 'line-count', got ${String(acknowledgements)}`);
  }
  if (!(ackTimeout > 0)) throw new ConfigurationError(`socketSink ackTimeout must be > 0 ms, got ${ackTimeout}`);
  const format = options.format ?? defaultLineFormat;
  return {
    name: 'socket',
    guarantee: acknowledgements === 'line-count' ? 'at-least-once' : 'at-most-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    createWriter: async ({ jobId, taskId, logger }) => {
      const reconnector = new Reconnector(connection, logger, { jobId, taskId, peer: connection.address });
      const writer = new SocketWriter<T>(connection.address, reconnector, format, acknowledgements === 'line-count' ? ackTimeout : undefined);
      await writer.connected();
      return writer;
    },
  };
}

// One connection of the writer: its socket, and with acknowledgements, what the server counted on it.
interface Connection {
  readonly socket: Socket;
  readonly counts: LineCountReader | undefined;
  // Why it ended, once it has: an error, a protocol violation, or the peer closing it.
  failure: unknown;
  // The server acknowledged lines on it.
  progressed: boolean;
}

class SocketWriter<T> implements SinkWriter<T> {
  // Lines not yet known to be received (acknowledged, or flushed at a barrier without acknowledgements): sent again on a new connection.
  private unconfirmed: Buffer[] = [];
  private head = 0;
  private connection: Connection | undefined;
  // Why the last connection ended: the next connection attempt waits its backoff for it.
  private lastFailure: unknown;
  private connecting: Promise<Connection> | undefined;
  // Called on every acknowledgement, dropped connection and close, by whatever waits for one of them.
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly reconnector: Reconnector,
    private readonly format: (record: T) => string,
    // Set when the server acknowledges ('line-count'): how long a barrier waits for it.
    private readonly ackTimeout: number | undefined,
  ) {}

  /** Resolves once connected (after retries); rejects with a {@link SocketConnectError} when attempts are used up, a {@link SocketClosedError} once closed. */
  async connected(): Promise<Connection> {
    if (this.closed) throw new SocketClosedError(this.address);
    if (this.connection) return this.connection;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  write(record: T): void | Promise<void> {
    if (this.closed) throw new SocketClosedError(this.address);
    const line = Buffer.from(`${this.format(record)}\n`, 'utf8');
    this.unconfirmed.push(line);
    const socket = this.connection?.socket;
    // Disconnected: the line is kept and goes out with the rest once reconnected.
    if (!socket) return this.connected().then(() => undefined);
    if (!socket.write(line)) return this.drained(socket);
  }

  async flush(): Promise<void> {
    const expected = this.unconfirmed.length - this.head;
    const waited = this.ackTimeout === undefined ? this.untilReceived() : this.within(this.ackTimeout, this.untilReceived(), () => this.timedOut(expected));
    await waited;
    this.unconfirmed = [];
    this.head = 0;
  }

  close(): void {
    this.closed = true;
    this.reconnector.close();
    this.connection?.socket.destroy();
    this.notify();
  }

  // Until every line is acknowledged (or, without acknowledgements, handed to the operating system) on a connection still open.
  private async untilReceived(): Promise<void> {
    for (;;) {
      const connection = await this.connected();
      const flushed = await new Promise<boolean>((resolve) => connection.socket.write('', (error) => resolve(!error)));
      if (flushed && connection.counts) await this.countedOrClosed(connection);
      if (this.closed) throw new SocketClosedError(this.address);
      // A connection that dropped meanwhile: connect again, which sends everything unconfirmed again.
      if (connection === this.connection && (!connection.counts || this.head === this.unconfirmed.length)) return;
    }
  }

  private async connect(): Promise<Connection> {
    const socket = await this.reconnector.connect(this.lastFailure);
    if (this.closed) {
      socket.destroy();
      throw new SocketClosedError(this.address);
    }
    const connection: Connection = { socket, counts: this.ackTimeout === undefined ? undefined : new LineCountReader(this.address), failure: undefined, progressed: false };
    this.connection = connection;
    this.lastFailure = undefined;
    // Without acknowledgements a connection made is all the progress there is to see.
    if (!connection.counts) this.reconnector.reset();
    socket.on('error', (error) => (connection.failure ??= error));
    socket.on('close', () => this.ended(connection));
    if (connection.counts) socket.on('data', (chunk: Buffer) => this.acknowledged(connection, chunk));
    this.unconfirmed = this.unconfirmed.slice(this.head);
    this.head = 0;
    for (const line of this.unconfirmed) socket.write(line);
    return connection;
  }

  private acknowledged(connection: Connection, chunk: Buffer): void {
    const counts = connection.counts;
    if (connection !== this.connection || !counts) return;
    const before = counts.counted;
    try {
      // Everything unconfirmed went out on this connection: what it counted plus what is outstanding.
      counts.receive(chunk, before + this.unconfirmed.length - this.head);
    } catch (violation) {
      connection.failure = violation;
      connection.socket.destroy();
      return;
    }
    if (counts.counted > before) {
      this.head += counts.counted - before;
      connection.progressed = true;
      this.notify();
    }
  }

  private ended(connection: Connection): void {
    if (this.connection === connection) {
      this.connection = undefined;
      // A peer that counted lines, or had none to count (an idle connection closed), did its part: retried from the shortest delay.
      // One that broke the protocol, or dropped lines it never counted, is not forgiven: its backoff grows to the budget's end.
      const didItsPart = connection.progressed || this.head === this.unconfirmed.length;
      if (didItsPart && !(connection.failure instanceof SocketProtocolError)) this.reconnector.reset();
      this.lastFailure = connection.failure ?? new Error('connection closed by peer');
    }
    this.notify();
  }

  // Resolves when every line sent is counted, or the connection ended, or the writer closed.
  private countedOrClosed(connection: Connection): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.head < this.unconfirmed.length && connection === this.connection && !this.closed) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
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

  // `work`, or a rejection with `timedOut()` after `ms`; the timer never outlives the wait.
  private async within(ms: number, work: Promise<void>, timedOut: () => Error): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timedOut()), ms)));
    try {
      await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
      work.catch(() => {});
    }
  }

  private timedOut(expected: number): SocketAcknowledgementTimeoutError {
    return new SocketAcknowledgementTimeoutError(this.address, expected - (this.unconfirmed.length - this.head), expected, this.ackTimeout ?? 0);
  }
}
