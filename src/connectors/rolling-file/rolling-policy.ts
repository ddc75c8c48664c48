import { ConfigurationError } from '../../errors.js';

/** What a rolling policy knows of an open part file. */
export interface PartFileInfo {
  readonly bucket: string;
  /** Bytes written to it. */
  readonly size: number;
  /** When it was opened (ms since the epoch). */
  readonly openedAt: number;
  /** When a record was last written to it. */
  readonly lastWriteAt: number;
}

/**
 * Decides when an in-progress part file is closed, to become pending at the
 * next checkpoint and finished when that checkpoint completes.
 */
export interface RollingPolicy {
  /** Checked after each record written to the part. */
  shouldRollOnWrite(part: PartFileInfo, now: number): boolean;
  /** Checked at each checkpoint barrier. */
  shouldRollOnCheckpoint(part: PartFileInfo, now: number): boolean;
}

/** Options of {@link defaultRollingPolicy}. */
export interface DefaultRollingPolicyOptions {
  /** Roll once a part holds this many bytes. Default 128 MiB. */
  readonly maxPartSize?: number;
  /** Roll a part open this many ms. Default 60 000. */
  readonly rolloverInterval?: number;
  /** Roll a part that received nothing for this many ms (checked at checkpoints). Default 60 000. */
  readonly inactivityInterval?: number;
}

/** Flink's DefaultRollingPolicy: roll on size, on age, or on inactivity, whichever comes first. */
export function defaultRollingPolicy(options: DefaultRollingPolicyOptions = {}): RollingPolicy {
  const { maxPartSize = 128 * 1024 * 1024, rolloverInterval = 60_000, inactivityInterval = 60_000 } = options;
  for (const [name, value] of Object.entries({ maxPartSize, rolloverInterval, inactivityInterval })) {
    if (typeof value !== 'number' || !(value > 0)) throw new ConfigurationError(`defaultRollingPolicy ${name} must be a number > 0, got ${String(value)}`);
  }
  const full = (part: PartFileInfo, now: number): boolean => part.size >= maxPartSize || now - part.openedAt >= rolloverInterval;
  return {
    shouldRollOnWrite: full,
    shouldRollOnCheckpoint: (part, now) => full(part, now) || now - part.lastWriteAt >= inactivityInterval,
  };
}
