import { ConfigurationError } from '../../errors.js';
import { exponentialBackoffRestart } from '../../contracts/restart.js';
import type { RestartStrategy } from '../../contracts/restart.js';

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

/** Exponential backoff between connection attempts: the restart strategy's schedule, counted per connection. */
export class Backoff {
  /** Failed attempts since the last successful connection. */
  failures = 0;
  private readonly schedule: RestartStrategy;

  constructor(settings: ReconnectSettings) {
    const { initialDelay, maxDelay, maxAttempts } = settings;
    this.schedule = exponentialBackoffRestart({ initialDelay, maxDelay, maxAttempts, multiplier: 2 });
  }

  /** The delay before the next attempt after one more failure, or `undefined` when attempts are used up. */
  next(): number | undefined {
    this.failures++;
    return this.schedule.nextDelay(this.failures);
  }

  /** A connection was made. */
  reset(): void {
    this.failures = 0;
  }
}

/** Check the `host` and `port` options of a socket connector. */
export function checkAddress(connector: string, host: unknown, port: unknown): string {
  if (typeof host !== 'string' || host.length === 0) throw new ConfigurationError(`${connector} host must be a non-empty string`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigurationError(`${connector} port must be a whole number 1-65535, got ${String(port)}`);
  return `${host}:${port}`;
}
