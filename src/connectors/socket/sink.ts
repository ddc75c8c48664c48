import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Sink, SinkWriter } from '../../dsl/sink.js';
import { defaultLineFormat } from '../format.js';
import { SocketConnectError } from './errors.js';
import { Backoff, checkAddress, reconnectSettings } from './reconnect.js';
import type { ReconnectOptions } from './reconnect.js';

/** Options of {@link socketSink}. */
export interface SocketSinkOptions<T> {
  /** The server's host name or address. */
  readonly host: string;
  /** The server's TCP port. */
  readonly port: number;
  /** Turns a record into its line (without the newline). Default: strings as they are, anything else as JSON. */
  readonly format?: (record: T) => string;
  /** Backoff and attempts when the connection is lost or cannot be made. */
  readonly reconnect?: ReconnectOptions;
}

/**
 * Writes one line per record to a TCP server, at-least-once. Everything
 * written since the last barrier is kept; when the connection drops it
 * connects again (with backoff) and sends all of it again, so the server may
 * see a line twice. A barrier completes once its lines are handed to the
 * operating system on a live connection, and then they are let go: TCP does
 * not report what the peer received, so bytes still in flight when a
 * connection resets after a barrier are not sent again. Past the reconnect
 * attempts the job fails with a retriable {@link SocketConnectError} and
 * restarts from its last checkpoint.
 */
export function socketSink<T>(options: SocketSinkOptions<T>): Sink<T, 'at-least-once', 'at-most-once', false, never, undefined> {
  const address = checkAddress('socketSink', options.host, options.port);
  const reconnect = reconnectSettings('socketSink', options.reconnect);
  const format = options.format ?? defaultLineFormat;
  return {
    name: 'socket',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    createWriter: async () => {
      const writer = new SocketWriter<T>(options.host, options.port, address, format, new Backoff(reconnect));
      await writer.connected();
      return writer;
    },
  };
}

class SocketWriter<T> implements SinkWriter<T, never, undefined> {
  // Lines since the last barrier: sent again on a new connection if this one drops.
  private unacknowledged: Buffer[] = [];
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly address: string,
    private readonly format: (record: T) => string,
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
    this.unacknowledged.push(line);
    const socket = this.socket;
    // Disconnected: the line is kept and goes out with the rest once reconnected.
    if (!socket) return this.connected().then(() => undefined);
    if (!socket.write(line)) return this.drained(socket);
  }

  async prepareCommit(): Promise<never[]> {
    for (;;) {
      const socket = await this.connected();
      try {
        await new Promise<void>((resolve, reject) => socket.write('', (error) => (error ? reject(error) : resolve())));
        if (socket === this.socket) break;
      } catch {
        // The connection dropped under the flush: connect again, which sends everything since the last barrier again.
      }
    }
    this.unacknowledged = [];
    return [];
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private async connectWithRetries(): Promise<Socket> {
    for (;;) {
      try {
        const socket = await this.open();
        this.backoff.reset();
        this.socket = socket;
        for (const line of this.unacknowledged) socket.write(line);
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
        });
        resolve(socket);
      });
      socket.once('error', reject);
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
