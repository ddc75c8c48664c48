import type { Guarantee } from '../contracts/guarantee.js';
import type { RestartStrategy } from '../contracts/restart.js';
import type { SnapshotStore } from '../snapshot/store.js';

/** Where onceflow reports what a user should see (corrupt checkpoints, restarts). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How often and how carefully checkpoints are taken. */
export interface CheckpointOptions {
  /** Time between checkpoint triggers, in ms. */
  readonly interval: number;
  /** Where completed checkpoints go. Default: the local filesystem under `.onceflow/checkpoints`. */
  readonly store?: SnapshotStore;
  /** Least time between the end of one checkpoint and the start of the next, in ms. Default 0. */
  readonly minPause?: number;
  /** A checkpoint not complete after this many ms is discarded. Default 60 000. */
  readonly timeout?: number;
  /** Checkpoints in flight at once. Default 1. */
  readonly maxConcurrent?: number;
  /**
   * Consecutive discarded checkpoints tolerated before the job fails. Default 3.
   * A checkpoint whose save or commit passes the timeout counts too, but always
   * stops the attempt: the save may still land, and going on past it could
   * commit output twice.
   */
  readonly tolerableFailures?: number;
  /**
   * Resume although an exactly-once sink already committed output that the
   * checkpoint resumed from does not cover: the newest checkpoints are corrupt
   * or deleted, or the store has none (its directory deleted, or a relative
   * directory seen from another working directory) while the sink's output of
   * an earlier run is there. That output is then written again. Default
   * `false`: the job refuses to start with a `ResumeWouldDuplicateError`
   * that says what it found.
   */
  readonly replayCommittedOutput?: boolean;
}

/** Flow-control bounds on records held by asynchronous stages (slow sinks, async operators). */
export interface FlowControlOptions {
  /** Sources pause when this many records are in flight. Default 10 000. */
  readonly highWaterMark?: number;
  /** Paused sources resume when in-flight records drop to this. Default half the high-water mark. */
  readonly lowWaterMark?: number;
}

/** Options of `pipeline()`. */
export interface PipelineOptions {
  /** The job's id. Checkpoints are stored under it, so a process started again with the same id resumes. */
  readonly id: string;
  /** The end-to-end guarantee the job must deliver; a pipeline that cannot does not compile. Default at-most-once. */
  readonly guarantee?: Guarantee;
  /** Turn checkpointing on. Without it a pipeline is at-most-once whatever its source. */
  readonly checkpoints?: CheckpointOptions;
  /** What happens when the job fails. Default: no restart. */
  readonly restart?: RestartStrategy;
  /** Bounds on in-flight records. */
  readonly flowControl?: FlowControlOptions;
  /** Where to report. Default: warnings and errors to stderr. */
  readonly logger?: Logger;
}

/** @internal {@link PipelineOptions} with what the runtime needs resolved. */
export interface PipelineSettings {
  readonly id: string;
  readonly guarantee: Guarantee;
  readonly checkpoints: CheckpointOptions | undefined;
  readonly restart: RestartStrategy | undefined;
  readonly flowControl: FlowControlOptions;
  readonly logger: Logger;
}
