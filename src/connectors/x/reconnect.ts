import { ConfigurationError } from '../../errors.js';

/**
 * The waits between connection attempts X documents for its streams, with
 * base delays a test may shorten. Defaults are the documented ones.
 */
export interface XReconnectOptions {
  /** Network errors (refused, reset, stalled): linear, this much more each attempt. Default 250 ms. */
  readonly networkStep?: number;
  /** Longest wait after network errors. Default 16 000 ms. */
  readonly networkMaxDelay?: number;
  /** HTTP errors (5xx and other retriable answers): exponential from this. Default 5 000 ms. */
  readonly httpInitialDelay?: number;
  /** Longest wait after HTTP errors. Default 320 000 ms. */
  readonly httpMaxDelay?: number;
  /** 429 (rate limited): exponential from this. Default 60 000 ms. */
  readonly rateLimitInitialDelay?: number;
  /** Longest wait after 429s. Default 960 000 ms (16 doublings of the minute would be far past any rate-limit window). */
  readonly rateLimitMaxDelay?: number;
  /** Failed attempts in a row before the source fails the job. Default: no limit, as a stream is meant to run for good. */
  readonly maxAttempts?: number;
}

/** Why the last attempt failed, which picks the schedule. */
export type XFailureKind = 'network' | 'http' | 'rate-limit';

/** {@link XReconnectOptions} checked, with defaults. */
export type XReconnectSettings = Required<XReconnectOptions>;

/** Check the reconnect options, naming the one at fault. */
export function xReconnectSettings(options: XReconnectOptions = {}): XReconnectSettings {
  const settings: XReconnectSettings = {
    networkStep: options.networkStep ?? 250,
    networkMaxDelay: options.networkMaxDelay ?? 16_000,
    httpInitialDelay: options.httpInitialDelay ?? 5_000,
    httpMaxDelay: options.httpMaxDelay ?? 320_000,
    rateLimitInitialDelay: options.rateLimitInitialDelay ?? 60_000,
    rateLimitMaxDelay: options.rateLimitMaxDelay ?? 960_000,
    maxAttempts: options.maxAttempts ?? Number.POSITIVE_INFINITY,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (!(typeof value === 'number' && value >= 0)) throw new ConfigurationError(`xFilteredStreamSource reconnect.${name} must be a number >= 0, got ${String(value)}`);
  }
  return settings;
}

/**
 * The wait before attempt `attempt + 1` after `attempt` failures in a row of
 * `kind`: linear for network errors, doubling for HTTP errors and 429s.
 */
export function xReconnectDelay(settings: XReconnectSettings, kind: XFailureKind, attempt: number): number {
  if (kind === 'network') return Math.min(settings.networkMaxDelay, settings.networkStep * attempt);
  if (kind === 'http') return Math.min(settings.httpMaxDelay, settings.httpInitialDelay * 2 ** (attempt - 1));
  return Math.min(settings.rateLimitMaxDelay, settings.rateLimitInitialDelay * 2 ** (attempt - 1));
}
