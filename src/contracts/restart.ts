import { ConfigurationError } from '../errors.js';

/**
 * Decides whether a failed job restarts (from its latest completed
 * checkpoint, in the same process) and after how long.
 */
export interface RestartStrategy {
  /** Delay in ms before attempt `failures + 1`, or `undefined` to give up. */
  nextDelay(failures: number): number | undefined;
}

/** Never restart: the first failure fails the job. The default without checkpointing. */
export function noRestart(): RestartStrategy {
  return { nextDelay: () => undefined };
}

/** Restart up to `attempts` times, waiting `delay` ms each time. */
export function fixedDelayRestart(options: { attempts: number; delay: number }): RestartStrategy {
  positive('attempts', options.attempts, 0);
  positive('delay', options.delay, 0);
  return { nextDelay: (failures) => (failures <= options.attempts ? options.delay : undefined) };
}

/** Restart with delays growing from `initialDelay` by `multiplier` up to `maxDelay`, at most `maxAttempts` times. */
export function exponentialBackoffRestart(options: {
  initialDelay: number;
  maxDelay: number;
  multiplier?: number;
  maxAttempts: number;
}): RestartStrategy {
  const multiplier = options.multiplier ?? 2;
  positive('initialDelay', options.initialDelay, 0);
  positive('maxDelay', options.maxDelay, options.initialDelay);
  positive('multiplier', multiplier, 1);
  positive('maxAttempts', options.maxAttempts, 0);
  return {
    nextDelay: (failures) =>
      failures <= options.maxAttempts ? Math.min(options.maxDelay, options.initialDelay * multiplier ** (failures - 1)) : undefined,
  };
}

function positive(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new ConfigurationError(`restart option '${name}' must be a number >= ${min}, got ${value}`);
}
