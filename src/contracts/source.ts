import type { Guarantee, Replay } from './guarantee.js';
import type { Logger } from './logger.js';

/**
 * One part of a source's input that is read on its own and has its own
 * position: a file, a Kafka partition, a Kinesis shard, a queue, a Redis
 * stream. A split is plain data (it is stored in checkpoints as it is).
 */
export interface SourceSplit {
  /** Unique within its source and stable across restarts: positions are stored under it. */
  readonly splitId: string;
}

/** A split handed to a reader, with where to start reading it. */
export interface SplitAssignment<Split extends SourceSplit, P> {
  readonly split: Split;
  /** Where the next unread record starts; `undefined` for a split read from its beginning. */
  readonly position: P | undefined;
}

/** What the runtime gives an enumerator to act through. */
export interface SplitEnumeratorContext<Split extends SourceSplit> {
  /** The job's id, stable across restarts. */
  readonly jobId: string;
  /** Hand splits to the reader; each is read from its beginning. */
  assignSplits(splits: readonly Split[]): void;
  /** No split will be assigned any more: once those assigned are finished, the source is exhausted. */
  signalNoMoreSplits(): void;
  /** The source cannot go on (discovery failed for good); the job fails and its restart strategy decides. */
  fail(error: unknown): void;
}

/**
 * Discovers a source's splits and decides when the reader gets them (Flink's
 * `SplitEnumerator`): all at once, one after another (files in order), or
 * only once others are finished (a Kinesis shard's children after its
 * parents). It learns of new splits while the job runs (a new file, a new
 * partition) and stores what it has not assigned yet in each checkpoint.
 */
export interface SplitEnumerator<Split extends SourceSplit, EnumeratorState> {
  /** Assign what is known and begin any periodic discovery. */
  start(): void | Promise<void>;
  /**
   * The reader holds no split to read (at start, or its last one finished):
   * assign one, or signal that there are no more. An enumerator that assigns
   * one split at a time (files in order) does it here; the runtime asks again
   * only after something was assigned.
   */
  handleSplitRequest?(): void | Promise<void>;
  /** A split the reader was given has been read to its end and all its records are out. */
  splitFinished?(splitId: string): void;
  /**
   * What to store in a checkpoint: splits not yet assigned, what discovery has
   * seen. Plain data. Called between two assignments, so it always agrees with
   * the splits the reader holds.
   */
  snapshotState(): EnumeratorState;
  /** Stop discovery; called once, on success and on failure. */
  close(): void | Promise<void>;
}

/** Records of one split that one {@link SplitReader.fetch} returned, in the order the split holds them. */
export interface RecordBatch<T, P> {
  readonly splitId: string;
  readonly records: readonly T[];
  /**
   * The position just after `records[index]`: reading the split again from it
   * gives every later record and none of these up to `index`. The runtime asks
   * only when a checkpoint falls inside or at the end of the batch, so a
   * reader may compute it lazily.
   */
  positionAfter(index: number): P;
  /**
   * How far behind the end of its split the reader was when it fetched this
   * batch, where the system says (a Kafka partition's end offset minus the
   * position, a Kinesis shard's `MillisBehindLatest`); the runtime reports it
   * with the split's position in the job's metrics.
   */
  readonly lag?: number;
}

/** What one {@link SplitReader.fetch} returned. */
export interface FetchResult<T, P> {
  /** Records by split; a split may appear in several batches, in order. */
  readonly batches: readonly RecordBatch<T, P>[];
  /** Splits read to their end: no record of theirs follows these batches. */
  readonly finished: readonly string[];
}

/**
 * Reads records of the splits it was given (Flink's `SplitReader`). The
 * runtime calls {@link fetch} again each time the previous fetch's records are
 * out, so a reader never buffers more than one fetch's worth ahead of the
 * pipeline; it owns pacing, per-split pause, positions and barriers.
 */
export interface SplitReader<T, Split extends SourceSplit, P> {
  /** Splits to read from now on, each from its position. */
  addSplits(splits: readonly SplitAssignment<Split, P>[]): void;
  /**
   * Resolve with the records available now, waiting until there are some, a
   * split finishes, or {@link wakeUp} is called (then an empty result is
   * fine). Reject to fail the source; errors should name the split and
   * position at fault.
   */
  fetch(): Promise<FetchResult<T, P>>;
  /** Make a pending {@link fetch} resolve soon: splits were added, paused or resumed, or the source is closing. */
  wakeUp(): void;
  /**
   * Stop reading the splits in `pause` and read again those in `resume` (flow
   * control, or a test). Records already fetched of a paused split are held
   * by the runtime; a reader of a push-based system pauses its delivery here.
   */
  pauseOrResumeSplits?(pause: readonly string[], resume: readonly string[]): void;
  /** Checkpoint `checkpointId`, holding these split positions, is durable: acknowledge upstream if the system wants it. */
  checkpointComplete?(checkpointId: number, positions: ReadonlyMap<string, P>): void | Promise<void>;
  /** Release connections and files; called once, on success and on failure. */
  close(): void | Promise<void>;
}

/** What a source is told when the runtime creates its enumerator. */
export interface SplitEnumeratorInit<Split extends SourceSplit, EnumeratorState> {
  readonly context: SplitEnumeratorContext<Split>;
  /** What the enumerator stored in the checkpoint the job resumes from; `undefined` on a fresh start. */
  readonly restoredState: EnumeratorState | undefined;
}

/** What a source is told when the runtime creates its reader. */
export interface SplitReaderInit {
  /** The job's id, stable across restarts. */
  readonly jobId: string;
  /** This source's id within the job; its checkpoint state is stored under it. */
  readonly taskId: string;
  /** The job's logger, for what an operator should see (reconnects); absent when a test creates the reader. */
  readonly logger?: Logger;
}

/**
 * A source of records of type `T`, built from splits as Flink's FLIP-27
 * sources are: an enumerator that discovers and assigns splits, and a split
 * reader that fetches their records.
 *
 * - `G`: the guarantee it gives when checkpointing is on (exactly-once for
 *   sources that can rewind a split to a stored position, at-most-once for
 *   those that cannot).
 * - `R`: whether a replay from a checkpoint gives the same records in the
 *   same order. A source reading one split at a time (a collection, files in
 *   order) is `'deterministic'`; one whose splits are read side by side (Kafka
 *   partitions) interleaves them by timing and is `'nondeterministic'`: each
 *   split replays the same, the merged stream does not.
 * - `Split`, `P`, `EnumeratorState`: a split, a position in one, and what the
 *   enumerator stores; all plain data, kept in checkpoints.
 */
export interface Source<T, G extends Guarantee, R extends Replay = 'deterministic', Split extends SourceSplit = SourceSplit, P = unknown, EnumeratorState = unknown> {
  /** Short name, part of the source's task id. */
  readonly name: string;
  /** The guarantee this source gives when it takes part in checkpoints. */
  readonly guarantee: G;
  /** Whether a replay from a checkpoint gives the same records in the same order. */
  readonly replay: R;
  /** Create the enumerator for one run (attempt) of a job. */
  createEnumerator(init: SplitEnumeratorInit<Split, EnumeratorState>): SplitEnumerator<Split, EnumeratorState>;
  /** Create the reader for one run (attempt) of a job. */
  createReader(init: SplitReaderInit): SplitReader<T, Split, P>;
}
