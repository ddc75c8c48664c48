import type { Guarantee } from './guarantee.js';

/** What a writer is told when it is created. */
export interface SinkWriterContext<S> {
  /** The job's id, stable across restarts. */
  readonly jobId: string;
  /** This sink's id within the job. */
  readonly taskId: string;
  /** Id of the checkpoint the job restarts from (0 when it starts fresh). */
  readonly restoredCheckpointId: number;
  /**
   * The writer state saved in that checkpoint, if any. A two-phase-commit
   * writer uses it to abort what later, uncompleted checkpoints prepared
   * (lingering transactions, in-progress files).
   */
  readonly restoredState: S | undefined;
  /**
   * The user accepts that output committed after the restored checkpoint is
   * written again (`checkpoints.replayCommittedOutput`). Without it, a
   * committing writer that finds committed output of its job newer than the
   * restored checkpoint, or any when the job starts from scratch, refuses
   * with a `ResumeWouldDuplicateError`.
   */
  readonly replayCommittedOutput?: boolean;
}

/**
 * Writes records and, on each barrier, makes what it wrote durable
 * (at-least-once) or prepared for commit (two-phase commit).
 */
export interface SinkWriter<T, C, S = undefined> {
  /** Write one record; a returned promise holds back later records until it settles. */
  write(record: T): void | Promise<void>;
  /**
   * Barrier `checkpointId` arrived: flush, or pre-commit, everything written
   * since the last barrier, and return what the committer must commit once the
   * checkpoint completes (none for an at-least-once writer). `final` is true
   * for the job's last checkpoint (sources exhausted or drained): nothing is
   * written after it, so a writer that keeps files or transactions open across
   * checkpoints must close and prepare them now or they are never committed.
   */
  prepareCommit(checkpointId: number, final: boolean): C[] | Promise<C[]>;
  /** Writer state to store with the checkpoint (after {@link prepareCommit}). */
  snapshotState?(checkpointId: number): S;
  /** Release resources; anything not prepared is abandoned (a later restore aborts it). */
  close(): void | Promise<void>;
}

/**
 * Commits what writers prepared once their checkpoint is durable. `commit`
 * must be idempotent: after a crash the committables of the last completed
 * checkpoint are committed again.
 */
export interface Committer<C> {
  /** Make the prepared writes visible. */
  commit(committables: readonly C[], checkpointId: number): Promise<void>;
  /** Release resources. */
  close?(): void | Promise<void>;
}

/**
 * A sink for records of type `T`.
 *
 * - `D`: the delivery guarantee the sink adds (at-least-once for sinks that
 *   flush on barrier, exactly-once for two-phase-commit sinks).
 * - `Requires`: the guarantee its input must have (a two-phase-commit sink
 *   needs a replayable, exactly-once input).
 * - `DeterministicOnly`: `true` when `D` rests on idempotent writes and so holds
 *   only for a stream that is deterministic on replay; for any other stream
 *   the sink delivers at-least-once.
 */
export interface Sink<T, D extends Guarantee, Requires extends Guarantee = 'at-most-once', DeterministicOnly extends boolean = false, C = unknown, S = unknown> {
  /** Short name, part of the sink's task id. */
  readonly name: string;
  /** The delivery guarantee the sink adds. */
  readonly guarantee: D;
  /** What the sink requires of its input. */
  readonly requires: Requires;
  /** Whether {@link guarantee} holds only for deterministic input. */
  readonly deterministicOnly: DeterministicOnly;
  /** Create a writer for one run (attempt) of a job. */
  createWriter(context: SinkWriterContext<S>): SinkWriter<T, C, S> | Promise<SinkWriter<T, C, S>>;
  /** Create the committer; absent for sinks with nothing to commit. */
  createCommitter?(): Committer<C>;
}
