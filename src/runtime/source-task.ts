import { Observable } from '../contracts/rxjs.js';
import type { Subscriber } from 'rxjs';
import type { CheckpointBarrier } from '../contracts/barrier.js';
import type { Flow, Marker } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { FetchResult, RecordBatch, Source, SourceSplit, SplitEnumerator, SplitReader } from '../contracts/source.js';
import type { Logger } from '../contracts/logger.js';
import { ConfigurationError } from '../errors.js';
import type { BarrierInjector } from './coordinator.js';

/** Records emitted at most between two looks at the clock (a record may fan out into many downstream). */
const recordsPerCheck = 1024;
/**
 * How long the task emits before it yields to the event loop, so timers, barriers and I/O get their turn.
 * A turn bounded by time rather than by a record count: yielding after every fetch of 1024 records cost a
 * quarter of a fast pipeline's time in event-loop turns.
 */
const turnMs = 1;

/**
 * What a source stores in a checkpoint. `version` lets a later release read
 * it: a release that changes this shape reads every version before it.
 */
export interface SourceCheckpoint {
  readonly format: 'onceflow-source';
  readonly version: 1;
  /** What the enumerator has not assigned yet, and what discovery has seen. */
  readonly enumerator: unknown;
  /** Every split assigned and not finished, with the position of its next unread record. */
  readonly splits: readonly { readonly split: SourceSplit; readonly position: unknown }[];
}

interface SplitState {
  readonly split: SourceSplit;
  /** Position after the last record emitted, when no batch of the split is part-way out. */
  position: unknown;
  /** Fetched, not yet emitted; the first may be part-way out, up to `next`. */
  readonly batches: RecordBatch<unknown, unknown>[];
  next: number;
  /** The reader said the split ended: it is finished once its batches are out. */
  ended: boolean;
  /** Paused on its own (not by flow control, which pauses every split). */
  paused: boolean;
  /** The lag the reader gave with the last batch emitted, for the job's metrics. */
  lag: number | undefined;
}

function isSourceCheckpoint(value: unknown): value is SourceCheckpoint {
  return typeof value === 'object' && value !== null && (value as SourceCheckpoint).format === 'onceflow-source';
}

/**
 * Runs one split-based source for one attempt of a job: the plumbing that
 * Flink's `SourceReaderBase` does once for every connector. It hands the
 * enumerator's splits to the reader, calls `fetch()`, emits the records a
 * chunk per event-loop turn, keeps each split's position, holds paused
 * splits, injects barriers between records, and finishes splits and the
 * source. A source that is exhausted keeps its flow open, still emitting
 * barriers, until the final checkpoint's barrier: only then does the flow
 * complete, so aligned inputs downstream never wait for a barrier that
 * cannot come.
 */
export class SourceTask<T> implements BarrierInjector {
  readonly flow: Flow<T>;
  private readonly reader: SplitReader<T, SourceSplit, unknown>;
  private readonly enumerator: SplitEnumerator<SourceSplit, unknown>;
  private readonly splits = new Map<string, SplitState>();
  private subscriber: Subscriber<T | Marker> | undefined;
  private finalBarrierSent = false;
  private noMoreSplits = false;
  private paused = false;
  private exhausted = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private pumping = false;
  private scheduled = false;
  // A split request is out to the enumerator and nothing was assigned since.
  private requested = false;
  private emitting: SplitState | undefined;
  private inNext = false;
  // Fixed when the source is exhausted or drained: records fetched after that are never emitted, so
  // the stored positions must not move past them, or a resumed job would skip them.
  private finalState: SourceCheckpoint | undefined;

  constructor(
    readonly id: string,
    private readonly source: Source<T, Guarantee, Replay>,
    jobId: string,
    restored: unknown,
    private readonly onExhausted: () => void,
    logger?: Logger,
  ) {
    if (restored !== undefined && !isSourceCheckpoint(restored)) {
      throw new ConfigurationError(
        `the checkpoint holds state for source '${id}' in a format this release cannot read (not an onceflow-source checkpoint): it was written before sources were split-based, or by another source`,
      );
    }
    if (restored && restored.version !== 1) {
      throw new ConfigurationError(`the checkpoint holds state for source '${id}' in version ${String(restored.version)}, newer than this release reads (1)`);
    }
    this.reader = source.createReader({ jobId, taskId: id, ...(logger ? { logger } : {}) }) as SplitReader<T, SourceSplit, unknown>;
    this.enumerator = source.createEnumerator({
      restoredState: restored?.enumerator,
      context: {
        jobId,
        assignSplits: (splits) => this.add(splits.map((split) => ({ split, position: undefined }))),
        signalNoMoreSplits: () => {
          this.noMoreSplits = true;
          this.finishIfDone();
        },
        fail: (error) => this.fail(error),
      },
    });
    this.flow = new Observable<T | Marker>((subscriber) => {
      this.subscriber = subscriber;
      Promise.resolve()
        .then(async () => {
          // Closed before it started (a job stopped at once): starting now would open connections nobody closes.
          if (this.closed) return;
          if (restored && restored.splits.length > 0) this.add(restored.splits);
          await this.enumerator.start();
          await this.requestSplitIfIdle();
          this.schedule();
        })
        .catch((error: unknown) => this.fail(error));
      // After the final barrier the reader stays open: the final checkpoint's completion still reaches it
      // (a queue acknowledges, a consumer group commits), and the job closes it once that is done.
      // A failure to close is logged where the job awaits the same close.
      return () => {
        if (!this.finalBarrierSent) this.close().catch(() => {});
      };
    });
  }

  /** Whether the source has no more records (or was told to stop, by a drain). */
  get isExhausted(): boolean {
    return this.exhausted;
  }

  inject(barrier: CheckpointBarrier): SourceCheckpoint {
    const state = this.finalState ?? this.snapshot();
    this.subscriber?.next(barrier);
    if (barrier.final) {
      this.finalBarrierSent = true;
      this.subscriber?.complete();
    }
    return state;
  }

  async checkpointComplete(checkpointId: number, stored: unknown): Promise<void> {
    if (!isSourceCheckpoint(stored) || !this.reader.checkpointComplete) return;
    await this.reader.checkpointComplete(checkpointId, new Map(stored.splits.map((s) => [s.split.splitId, s.position])));
  }

  /** Flow control: hold every split until {@link resume}. */
  pause(): void {
    if (this.paused || this.exhausted) return;
    this.paused = true;
    this.reader.pauseOrResumeSplits?.(this.ids((s) => !s.paused), []);
  }

  /** Flow control: go on with every split not paused on its own. */
  resume(): void {
    if (!this.paused || this.exhausted) return;
    this.paused = false;
    this.reader.pauseOrResumeSplits?.([], this.ids((s) => !s.paused));
    this.schedule();
  }

  /** Hold these splits: none of their records is emitted until {@link resumeSplits}; other splits go on. */
  pauseSplits(splitIds: readonly string[]): void {
    const paused = splitIds.filter((id) => {
      const state = this.splits.get(id);
      if (!state || state.paused) return false;
      state.paused = true;
      return true;
    });
    if (!this.paused && paused.length > 0) this.reader.pauseOrResumeSplits?.(paused, []);
    this.reader.wakeUp();
  }

  /** Go on with splits held by {@link pauseSplits}, from exactly where they stopped. */
  resumeSplits(splitIds: readonly string[]): void {
    const resumed = splitIds.filter((id) => {
      const state = this.splits.get(id);
      if (!state?.paused) return false;
      state.paused = false;
      return true;
    });
    if (!this.paused && resumed.length > 0) this.reader.pauseOrResumeSplits?.([], resumed);
    this.schedule();
  }

  /** The split of the record being emitted right now (read inside the subscriber's `next`). */
  get emittingSplitId(): string | undefined {
    return this.emitting?.split.splitId;
  }

  /**
   * Where the record being emitted right now came from: its split and the
   * position just before it (replaying from there reads it again). Only
   * inside the subscriber's `next`, as when an operator throws on the record.
   */
  recordOrigin(): { readonly splitId: string; readonly position: unknown } | undefined {
    const state = this.emitting;
    if (!state || !this.inNext) return undefined;
    const batch = state.batches[0];
    const position = batch && state.next > 1 ? batch.positionAfter(state.next - 2) : state.position;
    return { splitId: state.split.splitId, position };
  }

  /** How far behind the end of `splitId` the reader said it was, with the last batch emitted of it. */
  lagOf(splitId: string): number | undefined {
    return this.splits.get(splitId)?.lag;
  }

  /** The splits assigned and not finished. */
  get splitIds(): string[] {
    return [...this.splits.keys()];
  }

  /** Stop reading here, for a drain: the positions stay where the last record emitted left them. */
  drain(): void {
    this.markExhausted();
  }

  /**
   * Release the reader and the enumerator once. Every caller waits for the release: the job's
   * quiesce calls this after the flow's teardown already began it, and the next attempt must not
   * start while this one's connections are still open.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.reader.wakeUp();
      try {
        await this.reader.close();
      } finally {
        await this.enumerator.close();
      }
    })();
    return this.closing;
  }

  private add(assignments: readonly { readonly split: SourceSplit; readonly position: unknown }[]): void {
    if (this.closed) return;
    for (const { split, position } of assignments) {
      if (this.splits.has(split.splitId)) throw new ConfigurationError(`source '${this.id}' was assigned split '${split.splitId}' twice`);
      this.splits.set(split.splitId, { split, position, batches: [], next: 0, ended: false, paused: false, lag: undefined });
    }
    this.requested = false;
    this.reader.addSplits(assignments);
    this.reader.wakeUp();
    this.schedule();
  }

  private ids(include: (state: SplitState) => boolean): string[] {
    const ids: string[] = [];
    for (const [id, state] of this.splits) if (include(state)) ids.push(id);
    return ids;
  }

  private snapshot(): SourceCheckpoint {
    const splits = [...this.splits.values()].map((state) => ({ split: state.split, position: positionOf(state) }));
    return { format: 'onceflow-source', version: 1, enumerator: this.enumerator.snapshotState(), splits };
  }

  private schedule(): void {
    if (this.scheduled || this.pumping || !this.subscriber) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private stopped(): boolean {
    return this.paused || this.exhausted || this.closed;
  }

  // One pump at a time; it returns when paused, closed, exhausted, waiting for splits or failed.
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let turnStart = performance.now();
      while (!this.stopped()) {
        const emitted = this.emitQueued(recordsPerCheck);
        if (this.stopped()) break;
        if (emitted > 0 && performance.now() - turnStart >= turnMs) {
          await new Promise(setImmediate);
          turnStart = performance.now();
          continue;
        }
        // The check's budget was used up: more may be queued.
        if (emitted === recordsPerCheck) continue;
        // What is still queued belongs to paused splits; resumeSplits() starts the pump again.
        if (this.hasQueued()) break;
        this.finishIfDone();
        if (!this.anyUnpaused()) break;
        const result = await this.reader.fetch();
        this.enqueue(result);
        // An empty answer (after wakeUp) must not turn the loop into a chain of microtasks that starves timers and I/O.
        if (result.batches.length === 0 && result.finished.length === 0) await new Promise(setImmediate);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  private enqueue(result: FetchResult<T, unknown>): void {
    for (const batch of result.batches) {
      if (batch.records.length === 0) continue;
      const state = this.splits.get(batch.splitId);
      if (!state) throw new ConfigurationError(`source '${this.id}' fetched records of split '${batch.splitId}', which it was not assigned or which had ended`);
      state.batches.push(batch);
    }
    for (const splitId of result.finished) {
      const state = this.splits.get(splitId);
      if (state) state.ended = true;
    }
  }

  /** Emit queued records of splits not paused, at most `budget`; returns how many. */
  private emitQueued(budget: number): number {
    const subscriber = this.subscriber;
    if (!subscriber) return 0;
    let emitted = 0;
    for (const state of this.splits.values()) {
      while (emitted < budget && !state.paused && !this.stopped()) {
        const batch = state.batches[0];
        if (!batch) break;
        const { records } = batch;
        this.emitting = state;
        this.inNext = true;
        try {
          // Flow control, a split's pause, a close or a drain may come from inside next(): checked after every record.
          const from = state.next;
          const end = Math.min(records.length, from + budget - emitted);
          while (state.next < end) {
            subscriber.next(records[state.next++] as T);
            if (state.paused || this.paused || this.closed || this.exhausted) break;
          }
          emitted += state.next - from;
        } finally {
          this.inNext = false;
        }
        if (state.next < records.length) break;
        state.position = batch.positionAfter(records.length - 1);
        if (batch.lag !== undefined) state.lag = batch.lag;
        state.batches.shift();
        state.next = 0;
      }
      if (state.ended && state.batches.length === 0 && !this.exhausted) this.finishSplit(state);
      if (emitted >= budget || this.stopped()) break;
    }
    return emitted;
  }

  private anyUnpaused(): boolean {
    for (const state of this.splits.values()) if (!state.paused) return true;
    return false;
  }

  private hasQueued(): boolean {
    for (const state of this.splits.values()) if (state.batches.length > 0) return true;
    return false;
  }

  private finishSplit(state: SplitState): void {
    this.splits.delete(state.split.splitId);
    this.enumerator.splitFinished?.(state.split.splitId);
    this.requestSplitIfIdle().catch((error: unknown) => this.fail(error));
  }

  private async requestSplitIfIdle(): Promise<void> {
    if (this.splits.size > 0 || this.noMoreSplits || this.requested || this.closed || !this.enumerator.handleSplitRequest) return;
    this.requested = true;
    await this.enumerator.handleSplitRequest();
  }

  private finishIfDone(): void {
    if (this.noMoreSplits && this.splits.size === 0) this.markExhausted();
  }

  private markExhausted(): void {
    if (this.exhausted || this.closed) return;
    this.finalState = this.snapshot();
    this.exhausted = true;
    this.reader.wakeUp();
    this.onExhausted();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.subscriber?.error(error);
  }
}

function positionOf(state: SplitState): unknown {
  const batch = state.batches[0];
  return batch && state.next > 0 ? batch.positionAfter(state.next - 1) : state.position;
}
