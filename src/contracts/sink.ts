import type { Guarantee } from './guarantee.js';
import type { Logger } from './logger.js';

/** What a writer is told when it is created. */
export interface SinkWriterContext<S> {
  /** The job's id, stable across restarts. */
  readonly jobId: string;
  /** This sink's id within the job. */
  readonly taskId: string;
  /** Id of the checkpoint the job restarts from (0 when it starts fresh). */
  readonly restoredCheckpointId: number;
  /**
   * The writer state saved in that checkpoint, if any. A committing writer
   * uses it to abort what later, uncompleted checkpoints prepared (lingering
   * transactions, in-progress files). Always `undefined` for an at-least-once writer.
   */
  readonly restoredState: S | undefined;
  /** The job's logger, for what an operator should see (reconnects); absent when a test creates the writer. */
  readonly logger?: Logger;
  /**
   * The user accepts that output committed after the restored checkpoint is
   * written again (`checkpoints.replayCommittedOutput`). Without it, a
   * committing writer that finds committed output of its job newer than the
   * restored checkpoint, or any when the job starts from scratch, refuses
   * with a `ResumeWouldDuplicateError`.
   */
  readonly replayCommittedOutput?: boolean | undefined;
}

/**
 * An at-least-once writer (Flink's `SinkWriter`): writes records and, on each
 * barrier, makes everything written so far durable in the external system. A
 * restart writes again whatever came after the last checkpoint, so a reader
 * may see duplicates but never misses a record the checkpoint covers.
 */
export interface SinkWriter<T> {
  /** Write one record; a returned promise holds back later records (and so, through flow control, the sources). */
  write(record: T): void | Promise<void>;
  /**
   * A barrier arrived: resolve once every record written before it is
   * durable (acknowledged, fsynced, confirmed). `final` is true for the job's
   * last checkpoint (sources exhausted or drained): nothing is written after it.
   */
  flush(final: boolean): void | Promise<void>;
  /** Release resources; what was not flushed is written again after a restore. */
  close(): void | Promise<void>;
}

/**
 * A writer that commits in two phases (Flink's `CommittingSinkWriter`): on each
 * barrier it prepares what it wrote (a transaction, a pending file) and hands
 * it over as committables, which its sink's {@link Committer} makes visible
 * only once the checkpoint is durable.
 */
export interface CommittingSinkWriter<T, C, S = undefined> {
  /** Write one record; a returned promise holds back later records (and so, through flow control, the sources). */
  write(record: T): void | Promise<void>;
  /**
   * Barrier `checkpointId` arrived: pre-commit everything written since the
   * last barrier and return what the committer must commit once the
   * checkpoint completes. `final` is true for the job's last checkpoint
   * (sources exhausted or drained): nothing is written after it, so a writer
   * that keeps files or transactions open across checkpoints must close and
   * prepare them now or they are never committed.
   */
  prepareCommit(checkpointId: number, final: boolean): readonly C[] | Promise<readonly C[]>;
  /** Writer state to store with the checkpoint (after {@link prepareCommit}). Plain data. */
  snapshotState?(checkpointId: number): S;
  /** Release resources; anything not prepared is abandoned (a later restore aborts it). */
  close(): void | Promise<void>;
}

/**
 * One committable of a completed checkpoint, handed to a {@link Committer}
 * (Flink's `CommitRequest`). A committer that does nothing with a request has
 * committed it. Otherwise it says exactly one of: try again later, it was
 * committed already (a replay after a crash), or it failed.
 */
export interface CommitRequest<C> {
  /** What the writer prepared. */
  readonly committable: C;
  /** The checkpoint being completed. */
  readonly checkpointId: number;
  /** How many times this request was handed to the committer before, after {@link retryLater}. */
  readonly retries: number;
  /** Not committed now, but may be later (a system busy or unreachable): handed over again after a backoff. */
  retryLater(): void;
  /** It was committed before (recovery commits the restored checkpoint's committables again): nothing to do. */
  signalAlreadyCommitted(): void;
  /** It can never be committed, for a reason the committer understands (a transaction the system expired): the job fails with it. */
  signalFailedWithKnownReason(error: unknown): void;
  /** Committing it failed unexpectedly: the job fails and, as its restart strategy allows, commits it again on restore. */
  signalFailedWithUnknownReason(error: unknown): void;
}

/**
 * Commits what writers prepared once their checkpoint is durable. Commit is
 * idempotent by contract: after a crash the committables of the restored
 * checkpoint are handed over again, and the committer either commits them or
 * signals that they were committed already.
 */
export interface Committer<C> {
  /** Commit each request, or signal what became of it. */
  commit(requests: readonly CommitRequest<C>[]): Promise<void>;
  /** Release resources. */
  close?(): void | Promise<void>;
}

/** What every sink states about itself. */
interface SinkFacts<D extends Guarantee, Requires extends Guarantee, DeterministicOnly extends boolean> {
  /** Short name, part of the sink's task id. */
  readonly name: string;
  /** The delivery guarantee the sink adds. */
  readonly guarantee: D;
  /** What the sink requires of its input. */
  readonly requires: Requires;
  /** Whether {@link guarantee} holds only for input that is deterministic on replay (idempotent writes). */
  readonly deterministicOnly: DeterministicOnly;
}

/** A sink whose writer flushes on each barrier and commits nothing: at-least-once at best. */
export interface FlushingSink<T, D extends Guarantee, Requires extends Guarantee = 'at-most-once', DeterministicOnly extends boolean = false>
  extends SinkFacts<D, Requires, DeterministicOnly> {
  readonly kind: 'flushing';
  /** Create a writer for one run (attempt) of a job. */
  createWriter(context: SinkWriterContext<undefined>): SinkWriter<T> | Promise<SinkWriter<T>>;
}

/** A two-phase-commit sink: a committing writer and a committer. */
export interface CommittingSink<T, D extends Guarantee, Requires extends Guarantee = 'at-most-once', DeterministicOnly extends boolean = false, C = unknown, S = unknown>
  extends SinkFacts<D, Requires, DeterministicOnly> {
  readonly kind: 'committing';
  /** Create a writer for one run (attempt) of a job. */
  createWriter(context: SinkWriterContext<S>): CommittingSinkWriter<T, C, S> | Promise<CommittingSinkWriter<T, C, S>>;
  /** Create the committer. */
  createCommitter(): Committer<C>;
}

/**
 * A sink for records of type `T`, of one of two kinds as in Flink's Sink V2:
 * a {@link FlushingSink} (at-least-once writers: stdout, files, sockets,
 * batching clients) or a {@link CommittingSink} (two-phase commit).
 *
 * - `D`: the delivery guarantee the sink adds.
 * - `Requires`: the guarantee its input must have (a two-phase-commit sink
 *   needs a replayable, exactly-once input).
 * - `DeterministicOnly`: `true` when `D` rests on idempotent writes and so holds
 *   only for a stream that is deterministic on replay; for any other stream
 *   the sink delivers at-least-once.
 * - `C`, `S`: a committing sink's committables and writer state.
 */
export type Sink<T, D extends Guarantee, Requires extends Guarantee = 'at-most-once', DeterministicOnly extends boolean = false, C = unknown, S = unknown> =
  | FlushingSink<T, D, Requires, DeterministicOnly>
  | CommittingSink<T, D, Requires, DeterministicOnly, C, S>;
