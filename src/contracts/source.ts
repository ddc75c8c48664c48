import type { Guarantee, Replay } from './guarantee.js';
import type { Logger } from './logger.js';

/** Where a source reader sends what it reads. */
export interface SourceOutput<T> {
  /** One record. Call only from the reader's own emission, never re-entrantly. */
  next(record: T): void;
  /** The source failed; the job fails and its restart strategy decides what next. */
  error(error: unknown): void;
  /** The source is exhausted (a bounded source); the job ends after a final checkpoint. */
  complete(): void;
}

/** What a reader is told when it is created. */
export interface SourceReaderContext<P> {
  /** The job's id, stable across restarts. */
  readonly jobId: string;
  /** This source's id within the job; its position is stored under it. */
  readonly taskId: string;
  /** The position saved in the checkpoint the job restarts from, if any. */
  readonly restoredPosition: P | undefined;
  /** The job's logger, for what an operator should see (reconnects); absent when a test creates the reader. */
  readonly logger?: Logger;
}

/**
 * A running source. The runtime calls {@link position} between two records
 * (JavaScript runs one thing at a time, so any moment the reader is not inside
 * `output.next` is such a point) and then injects the barrier itself.
 */
export interface SourceReader<T, P> {
  /** Begin reading, from `restoredPosition` when there is one. */
  start(output: SourceOutput<T>): void | Promise<void>;
  /** The position just after the last record emitted: replaying from it re-reads nothing already emitted. */
  position(): P;
  /** Stop emitting until {@link resume}: too many records are in flight. */
  pause(): void;
  /** Emit again after {@link pause}. The runtime calls it where emitting at once is safe: queued records stay ahead. */
  resume(): void;
  /** Checkpoint `checkpointId`, which stored `position`, is durable: acknowledge upstream if the system wants it. */
  checkpointComplete?(checkpointId: number, position: P): void | Promise<void>;
  /** Release connections and files. Called once, on success and on failure. */
  close(): void | Promise<void>;
}

/**
 * A source of records of type `T` giving guarantee `G` when checkpointing is on
 * (exactly-once for sources that can rewind to a stored position, at-most-once
 * for those that cannot), and replaying deterministically or not (`R`).
 */
export interface Source<T, G extends Guarantee, R extends Replay = 'deterministic'> {
  /** Short name, part of the source's task id. */
  readonly name: string;
  /** The guarantee this source gives when it takes part in checkpoints. */
  readonly guarantee: G;
  /** Whether a replay from a checkpoint gives the same records in the same order. */
  readonly replay: R;
  /** Create a reader for one run (attempt) of a job. */
  createReader(context: SourceReaderContext<unknown>): SourceReader<T, unknown>;
}
