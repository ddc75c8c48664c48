import { ConfigurationError } from '../../errors.js';
import { exponentialBackoffRestart } from '../../contracts/restart.js';
import type { RestartStrategy } from '../../contracts/restart.js';
import type { LogFields, Logger } from '../../contracts/logger.js';

/** How a socket connector connects again after losing its connection. */
export interface ReconnectOptions {
  /** Delay before the first reconnection attempt, in ms; it doubles with each failed attempt. Default 100. */
  readonly initialDelay?: number;
  /** Longest delay between attempts, in ms. Default 5000. */
  readonly maxDelay?: number;
  /** Failed attempts in a row before the connector fails the job with a SocketConnectError. Default 10. */
  readonly maxAttempts?: number;
  /** Try again when the host name does not resolve (ENOTFOUND), as if the name could appear later. Default false: fail at once. */
  readonly retryUnknownHost?: boolean;
}

/** {@link ReconnectOptions} checked, with defaults filled in. */
export interface ReconnectSettings {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly maxAttempts: number;
  readonly retryUnknownHost: boolean;
}

/** Check a connector's reconnect options; errors name `connector`. */
export function reconnectSettings(connector: string, options: ReconnectOptions = {}): ReconnectSettings {
  const { initialDelay = 100, maxDelay = 5000, maxAttempts = 10, retryUnknownHost = false } = options;
  if (!(initialDelay >= 0)) throw new ConfigurationError(`${connector} reconnect.initialDelay must be >= 0 ms, got ${initialDelay}`);
  if (!(maxDelay >= initialDelay)) throw new ConfigurationError(`${connector} reconnect.maxDelay must be >= initialDelay, got ${maxDelay}`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 0) throw new ConfigurationError(`${connector} reconnect.maxAttempts must be a whole number >= 0, got ${maxAttempts}`);
  if (typeof retryUnknownHost !== 'boolean') throw new ConfigurationError(`${connector} reconnect.retryUnknownHost must be true or false, got ${String(retryUnknownHost)}`);
  return { initialDelay, maxDelay, maxAttempts, retryUnknownHost };
}

/**
 * Exponential backoff between connection attempts: the restart strategy's schedule,
 * counted per connection. Reports each lost connection and reconnect to the job's
 * logger, with `fields` (job, task, peer) on every line.
 */
export class Backoff {
  /** Failed attempts since the last successful connection. */
  failures = 0;
  private readonly schedule: RestartStrategy;
  private disconnected = false;

  constructor(
    settings: ReconnectSettings,
    private readonly logger?: Logger,
    private readonly fields: LogFields = {},
  ) {
    const { initialDelay, maxDelay, maxAttempts } = settings;
    this.schedule = exponentialBackoffRestart({ initialDelay, maxDelay, maxAttempts, multiplier: 2 });
  }

  /** The delay before the next attempt after one more failure (`cause`), or `undefined` when attempts are used up. */
  next(cause: unknown): number | undefined {
    this.failures++;
    const delay = this.schedule.nextDelay(this.failures);
    if (delay !== undefined) this.logger?.info({ ...this.fields, attempt: this.failures, delayMs: delay, err: cause }, `connection failed; reconnecting in ${delay} ms`);
    return delay;
  }

  /** An open connection was lost (`cause`, when known); the connector connects again. */
  lost(cause?: unknown): void {
    this.disconnected = true;
    this.logger?.info({ ...this.fields, err: cause }, 'connection lost; connecting again');
  }

  /** A connection was made. */
  reset(): void {
    if (this.failures > 0 || this.disconnected) this.logger?.info({ ...this.fields, attempt: this.failures + 1 }, 'reconnected');
    this.failures = 0;
    this.disconnected = false;
  }
}

/** Check the `host` and `port` options of a socket connector. */
export function checkAddress(connector: string, host: unknown, port: unknown): string {
  if (typeof host !== 'string' || host.length === 0) throw new ConfigurationError(`${connector} host must be a non-empty string`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigurationError(`${connector} port must be a whole number 1-65535, got ${String(port)}`);
  return `${host}:${port}`;
}
