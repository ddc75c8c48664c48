import type { Guarantee } from '../contracts/guarantee.js';
import type { RestartStrategy } from '../contracts/restart.js';
import type { SnapshotStore } from '../snapshot/store.js';
import type { Logger } from '../contracts/logger.js';

/** How often and how carefully checkpoints are taken. */
export interface CheckpointOptions {
  /** Time between checkpoint triggers, in ms. */
  readonly interval: number;
  /** Where completed checkpoints go. Default: the local filesystem under `.onceflow/checkpoints`. */
  readonly store?: SnapshotStore | undefined;
  /**
   * Least time between the end of one checkpoint and the start of the next, in ms. Default: as long as
   * the last checkpoint took, at most `interval`, so that a checkpoint slower than the interval cannot
   * starve processing, nor hold back an exactly-once sink's output by more than an interval.
   */
  readonly minPause?: number | undefined;
  /**
   * A full checkpoint at least every this many checkpoints; those between store only the keyed state
   * changed since the one before (incremental checkpoints), and a restore reads the last full one and
   * the deltas after it. 1 makes every checkpoint full. Default 10.
   */
  readonly fullEvery?: number | undefined;
  /** A checkpoint not complete after this many ms is discarded. Default 60 000. */
  readonly timeout?: number | undefined;
  /** Checkpoints in flight at once. Default 1. */
  readonly maxConcurrent?: number | undefined;
  /**
   * Consecutive discarded checkpoints tolerated before the job fails. Default 3.
   * A checkpoint whose save or commit passes the timeout counts too, but always
   * stops the attempt: the save may still land, and going on past it could
   * commit output twice.
   */
  readonly tolerableFailures?: number | undefined;
  /**
   * Resume although an exactly-once sink already committed output that the
   * checkpoint resumed from does not cover: the newest checkpoints are corrupt
   * or deleted, or the store has none (its directory deleted, or a relative
   * directory seen from another working directory) while the sink's output of
   * an earlier run is there. That output is then written again. Default
   * `false`: the job refuses to start with a `ResumeWouldDuplicateError`
   * that says what it found.
   */
  readonly replayCommittedOutput?: boolean | undefined;
}

/** Flow-control bounds on records held by asynchronous stages (slow sinks, async operators). */
export interface FlowControlOptions {
  /** Sources pause when this many records are in flight. Default 10 000. */
  readonly highWaterMark?: number | undefined;
  /** Paused sources resume when in-flight records drop to this. Default half the high-water mark. */
  readonly lowWaterMark?: number | undefined;
}

/** What a job measures and how often it reports it. */
export interface MetricsOptions {
  /**
   * Report records in and out of every source, operator and sink. Default true. Operators and
   * the sink count what they take in either way (one field increment a record, figure 1b of the
   * benchmarks); off, the counts are not reported, and the inputs of `union` and of raw RxJS
   * inside `rx()`, which are counted by a subscriber of their own, are left as they are.
   */
  readonly records?: boolean;
  /** Emit a `metrics` event on `handle.events` every this many ms. Default: none (`handle.metrics()` is always there). */
  readonly interval?: number;
}

/** Where the live web page and its JSON API listen. */
export interface MonitorOptions {
  /** TCP port; 0 picks a free one (see `handle.monitorUrl`). */
  readonly port: number;
  /** Interface to bind. Default 127.0.0.1: only this machine can see the page. */
  readonly host?: string;
}

/** Options of `pipeline()`. */
export interface PipelineOptions {
  /** The job's id. Checkpoints are stored under it, so a process started again with the same id resumes. */
  readonly id: string;
  /** The end-to-end guarantee the job must deliver; a pipeline that cannot does not compile. Default at-most-once. */
  readonly guarantee?: Guarantee | undefined;
  /** Turn checkpointing on. Without it a pipeline is at-most-once whatever its source. */
  readonly checkpoints?: CheckpointOptions | undefined;
  /** What happens when the job fails. Default: no restart. */
  readonly restart?: RestartStrategy | undefined;
  /** Bounds on in-flight records. */
  readonly flowControl?: FlowControlOptions | undefined;
  /** Where to report: a pino logger, `console`, or any {@link Logger}. Default: `stderrLogger()`, warnings and errors to stderr. */
  readonly logger?: Logger | undefined;
  /**
   * Whether the job handles SIGTERM and SIGINT while it runs: the first drains it
   * (a final checkpoint where the sources are, committed), the second stops it
   * at once, a third gets Node's default (exit). Default true; set false to
   * handle signals yourself with `handle.drain()` and `handle.stop()`.
   */
  readonly signals?: boolean | undefined;
  /** What to measure. Default: records counted, no periodic `metrics` events. */
  readonly metrics?: MetricsOptions | undefined;
  /** Serve a live web page and a JSON API about the job. Default: off. */
  readonly monitor?: MonitorOptions | undefined;
}

/** @internal {@link PipelineOptions} with what the runtime needs resolved. */
export interface PipelineSettings {
  readonly id: string;
  readonly guarantee: Guarantee;
  readonly checkpoints: CheckpointOptions | undefined;
  readonly restart: RestartStrategy | undefined;
  readonly flowControl: FlowControlOptions;
  readonly logger: Logger;
  readonly signals: boolean;
  readonly metrics: MetricsOptions;
  readonly monitor: MonitorOptions | undefined;
}
