import type { CorruptCheckpointError } from '../errors.js';
import type { OperatorSnapshot } from './state.js';

/** What a sink stores in a checkpoint. */
export interface SinkSnapshot {
  /** What its committer must commit once the checkpoint completes (and again on restore). */
  readonly committables: readonly unknown[];
  /** Its writer's state, for aborting what later checkpoints prepared. */
  readonly writerState: unknown;
}

/** A completed checkpoint: everything a job needs to resume from it. */
export interface Checkpoint {
  readonly jobId: string;
  readonly checkpointId: number;
  /** When it was triggered (ms since the epoch). */
  readonly timestamp: number;
  /** `true` for the checkpoint taken after every source was exhausted. */
  readonly final: boolean;
  /** Source positions by task id. */
  readonly sources: Readonly<Record<string, unknown>>;
  /** Operator state by operator id. */
  readonly operators: Readonly<Record<string, OperatorSnapshot>>;
  /** Sink committables and writer state by task id. */
  readonly sinks: Readonly<Record<string, SinkSnapshot>>;
  /**
   * The checkpoint this one builds on: its keyed state holds only what changed since then
   * (see `KeyedStateDelta`). Absent for a full checkpoint, and in what `SnapshotStore.latest` returns.
   */
  readonly parent?: number;
  /** The parent's `timestamp`: a checkpoint found under the parent's id but written by another run is not taken for it. */
  readonly parentTimestamp?: number;
  /** How many deltas lie between this checkpoint and the full one its chain starts from (0 for a full one). */
  readonly depth?: number;
}

/**
 * Where completed checkpoints are kept. A store also holds one lock per job
 * id, so that one job never runs twice against it: checkpoints of two runners
 * interleaved would resume neither correctly.
 */
export interface SnapshotStore {
  /** Persist a completed checkpoint atomically (after a crash it is whole or absent); resolves to the bytes stored. */
  save(checkpoint: Checkpoint): Promise<number>;
  /**
   * The newest intact checkpoint of `jobId` with its chain of deltas merged into full state, and
   * what it passed over to get there (newer checkpoints that, or whose chain, were corrupt or missing).
   */
  latest(jobId: string): Promise<LatestCheckpoint>;
  /**
   * Take the lock of `jobId` for this runner, or reject with a
   * `JobLockedError` naming the holder. A lock whose holder is gone (a dead
   * process, an expired lease) is taken over.
   */
  lock(jobId: string): Promise<JobLock>;
  /** Where the checkpoints of `jobId` are kept, for people and log lines: an absolute directory, a Redis server and key prefix; never a secret. */
  describe(jobId: string): string;
  /** Release connections. */
  close?(): Promise<void>;
}

/** A job's lock in a {@link SnapshotStore}, held from {@link SnapshotStore.lock} until {@link release}. */
export interface JobLock {
  /** Give the lock up; nothing happens when it is no longer this runner's. */
  release(): Promise<void>;
}

/** What {@link SnapshotStore.latest} found. */
export interface LatestCheckpoint {
  /** The newest intact checkpoint, if any. */
  readonly checkpoint: Checkpoint | undefined;
  /** Newer checkpoints that failed their checksum or could not be decoded, newest first. */
  readonly corrupt: readonly CorruptCheckpointError[];
  /**
   * The id of the newest checkpoint the store ever saved for the job, kept
   * apart from the checkpoints themselves: greater than {@link checkpoint}'s
   * when newer checkpoints were deleted or are corrupt. `undefined` when the
   * store has no record of one.
   */
  readonly newestSaved: number | undefined;
}

/** Turns checkpoints into bytes and back; V8 serialization unless a store is given another. */
export interface SnapshotCodec {
  /** Name written beside the data, checked when reading it back. */
  readonly name: string;
  encode(checkpoint: Checkpoint): Uint8Array;
  decode(bytes: Uint8Array): Checkpoint;
}
