import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { LogFields, Logger } from '../../contracts/logger.js';
import { ConfigurationError } from '../../errors.js';
import { Backoff, checkAddress, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions, ReconnectSettings } from '../shared/reconnect.js';
import { SocketClosedError, SocketConnectError, SocketProtocolError } from './errors.js';

/** How long a connection attempt may take unless told otherwise, in ms. */
export const defaultConnectTimeout = 10_000;

/** Where a socket connector connects and how it tries again. */
export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for messages. */
  readonly address: string;
  readonly connectTimeout: number;
  readonly reconnect: ReconnectSettings;
}

/** Check a socket connector's address, connect timeout and reconnect options; errors name `connector`. */
export function connectionSettings(
  connector: string,
  options: { readonly host: string; readonly port: number; readonly connectTimeout?: number; readonly reconnect?: ReconnectOptions },
): ConnectionSettings {
  const address = checkAddress(connector, options.host, options.port);
  const { connectTimeout = defaultConnectTimeout } = options;
  if (!(connectTimeout > 0)) throw new ConfigurationError(`${connector} connectTimeout must be > 0 ms, got ${connectTimeout}`);
  return { host: options.host, port: options.port, address, connectTimeout, reconnect: reconnectSettings(connector, options.reconnect) };
}

/**
 * Makes a connection, trying again with backoff, and can be told why the last
 * connection ended so that a peer that accepts and then misbehaves is retried
 * with the same backoff and budget as one that refuses. {@link close} ends
 * any attempt or wait at once: nothing it started outlives it.
 */
export class Reconnector {
  private readonly backoff: Backoff;
  private closed = false;
  private attempt: Socket | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settings: ConnectionSettings,
    logger?: Logger,
    fields: LogFields = {},
  ) {
    this.backoff = new Backoff(settings.reconnect, logger, fields);
  }

  /**
   * A new connection. `lastFailure`, why the previous connection ended, counts
   * as a failed attempt: the first attempt waits its backoff delay. Rejects
   * with a {@link SocketConnectError} past the attempts allowed (at once, not
   * retriable, for a host name that does not resolve unless
   * `reconnect.retryUnknownHost`), with `lastFailure` itself past them when it
   * is a {@link SocketProtocolError}, and with a {@link SocketClosedError}
   * once closed.
   */
  async connect(lastFailure?: unknown): Promise<Socket> {
    if (lastFailure !== undefined) await this.backOff(lastFailure);
    for (;;) {
      if (this.closed) throw new SocketClosedError(this.settings.address);
      try {
        return await this.connectOnce();
      } catch (error) {
        if (this.closed) throw new SocketClosedError(this.settings.address);
        if ((error as NodeJS.ErrnoException).code === 'ENOTFOUND' && !this.settings.reconnect.retryUnknownHost) {
          throw new SocketConnectError(this.settings.address, this.backoff.failures + 1, error, { retriable: false, hint: 'the host name does not resolve; set reconnect.retryUnknownHost to keep trying' });
        }
        await this.backOff(error);
      }
    }
  }

  /** The peer did its part on a connection: the next failure starts the backoff over. */
  reset(): void {
    this.backoff.reset();
  }

  /** Stop: an attempt in flight is destroyed, a backoff wait ends, and `connect` rejects with a {@link SocketClosedError}. */
  close(): void {
    this.closed = true;
    this.attempt?.destroy();
    this.wake?.();
  }

  private async backOff(cause: unknown): Promise<void> {
    const delay = this.backoff.next(cause);
    if (delay === undefined) {
      if (cause instanceof SocketProtocolError) throw cause;
      throw new SocketConnectError(this.settings.address, this.backoff.failures - 1, cause);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    if (this.closed) throw new SocketClosedError(this.settings.address);
  }

  // One attempt, bounded by connectTimeout: without it an unreachable host waits for the operating system's timeout (minutes).
  private connectOnce(): Promise<Socket> {
    const { host, port, connectTimeout } = this.settings;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      this.attempt = socket;
      const timer = setTimeout(() => {
        const timedOut = Object.assign(new Error(`no connection within connectTimeout (${connectTimeout} ms)`), { code: 'ETIMEDOUT' });
        socket.destroy(timedOut);
      }, connectTimeout);
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        this.attempt = undefined;
        socket.off('connect', onConnect).off('error', settle).off('close', onClose);
        if (error) reject(error);
        else resolve(socket);
      };
      const onConnect = (): void => settle();
      // Destroyed by close() before it connected: no error event comes.
      const onClose = (): void => settle(new SocketClosedError(this.settings.address));
      socket.once('connect', onConnect).once('error', settle).once('close', onClose);
    });
  }
}
