import { CheckpointBarrier } from '../contracts/barrier.js';
import { Marker } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Source } from '../contracts/source.js';
import { SourceTask } from '../runtime/source-task.js';
import type { SourceCheckpoint } from '../runtime/source-task.js';

export type { SourceCheckpoint } from '../runtime/source-task.js';

/** A source running outside a job, as {@link startSource} runs it. */
export interface RunningSource<T> {
  /** Records emitted so far, in order. */
  readonly records: T[];
  /** Settles when the source is exhausted (`'completed'`) or fails (with the error); never rejects. */
  readonly ended: Promise<unknown>;
  /**
   * Take a checkpoint of the source here (between two records): what the
   * runtime would store for it, and what {@link startSource} restores from.
   */
  checkpoint(): SourceCheckpoint;
  /** Splits assigned and not finished. */
  splitIds(): string[];
  /** Hold these splits (none of their records is emitted) while the others go on. */
  pauseSplits(splitIds: readonly string[]): void;
  /** Go on with held splits, from where they stopped. */
  resumeSplits(splitIds: readonly string[]): void;
  /** Flow control: hold every split. */
  pause(): void;
  /** Flow control: go on. */
  resume(): void;
  /** Stop and release the reader and enumerator. */
  close(): Promise<void>;
}

/** Options of {@link startSource}. */
export interface StartSourceOptions<T> {
  /** Restore from this checkpoint of the source, as a restarted job would. */
  readonly restored?: SourceCheckpoint;
  /** Called after each record, between records (where the runtime may take a checkpoint), with the split it came from. */
  readonly onRecord?: (record: T, running: RunningSource<T>, splitId: string) => void;
}

/**
 * Run a source the way a job's runtime runs it (split assignment, fetches,
 * pacing, per-split pause, positions), without a job around it: for testing a
 * source, including checkpoints at chosen records and restores from them.
 */
export function startSource<T>(source: Source<T, Guarantee, Replay>, options: StartSourceOptions<T> = {}): RunningSource<T> {
  let endWith: (value: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => (endWith = resolve));
  const task = new SourceTask<T>('0-test', source as Source<T, Guarantee, Replay>, 'test', options.restored, () => endWith('completed'));
  let checkpointId = 0;
  const records: T[] = [];
  const running: RunningSource<T> = {
    records,
    ended,
    checkpoint: () => task.inject(new CheckpointBarrier(++checkpointId, Date.now())),
    splitIds: () => task.splitIds,
    pauseSplits: (ids) => task.pauseSplits(ids),
    resumeSplits: (ids) => task.resumeSplits(ids),
    pause: () => task.pause(),
    resume: () => task.resume(),
    close: () => task.close(),
  };
  const subscription = task.flow.subscribe({
    next(element) {
      if (element instanceof Marker) return;
      records.push(element);
      options.onRecord?.(element, running, task.emittingSplitId ?? '');
    },
    error: (error: unknown) => endWith(error),
  });
  void ended.then(() => subscription.unsubscribe());
  return running;
}

/** What {@link readSource} collected. */
export interface SourceRead<T> {
  readonly records: T[];
  /** The source's checkpoint right after each record, when asked for. */
  readonly checkpoints: SourceCheckpoint[];
  /** Why it ended: `undefined` when it was exhausted. */
  readonly error: unknown;
}

/** Run a bounded source to its end (or failure), optionally restored, optionally checkpointing after every record. */
export async function readSource<T>(
  source: Source<T, Guarantee, Replay>,
  options: { readonly restored?: SourceCheckpoint; readonly checkpointEachRecord?: boolean } = {},
): Promise<SourceRead<T>> {
  const checkpoints: SourceCheckpoint[] = [];
  const running = startSource(source, {
    ...(options.restored ? { restored: options.restored } : {}),
    onRecord: options.checkpointEachRecord ? (_record, r) => checkpoints.push(r.checkpoint()) : undefined,
  });
  const end = await running.ended;
  await running.close();
  return { records: running.records, checkpoints, error: end === 'completed' ? undefined : end };
}
