import { CheckpointBarrier } from '../contracts/barrier.js';
import type { OperatorSnapshot } from '../snapshot/state.js';
import type { Checkpoint, SinkSnapshot, SnapshotStore } from '../snapshot/store.js';
import { CheckpointFailedError, StoreUnresponsiveError } from '../errors.js';

/** A checkpoint was triggered, finished or was discarded. */
export type CheckpointEvent =
  | {
      readonly type: 'checkpoint-triggered';
      readonly checkpointId: number;
      /** Taken because the job is ending (sources exhausted, or drained). */
      readonly final: boolean;
      /** ms since the epoch (the barrier's timestamp). */
      readonly triggeredAt: number;
    }
  | {
      readonly type: 'checkpoint-completed';
      readonly checkpointId: number;
      /** Taken when the job ended (sources exhausted, or drained). */
      readonly final: boolean;
      /** ms since the epoch (the barrier's timestamp). */
      readonly triggeredAt: number;
      /** From trigger to persisted and committed, in ms. */
      readonly durationMs: number;
      /** Bytes the snapshot store wrote. */
      readonly bytes: number;
      /** Time the snapshot store took to write it, in ms. */
      readonly storeWriteMs: number;
    }
  | { readonly type: 'checkpoint-failed'; readonly checkpointId: number; readonly error: CheckpointFailedError };

/** A source as the coordinator sees it. */
export interface BarrierInjector {
  readonly id: string;
  /** Record the source's position, emit `barrier` (and complete after a final one), and return the position. */
  inject(barrier: CheckpointBarrier): unknown;
  /** Checkpoint `checkpointId` is durable. */
  checkpointComplete(checkpointId: number, position: unknown): Promise<void>;
}

/** Settings of a {@link CheckpointCoordinator}. */
export interface CoordinatorOptions {
  readonly jobId: string;
  readonly store: SnapshotStore;
  /** Periodic trigger interval in ms; `undefined` takes only the final checkpoint. */
  readonly interval: number | undefined;
  /** Least pause after a checkpoint completes; `undefined` pauses as long as the last checkpoint took, so checkpoints cannot take more than half the time. */
  readonly minPause: number | undefined;
  readonly timeout: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  /** Id of the checkpoint the job restored from (0 for a fresh start). */
  readonly restoredId: number;
  /** Deltas between the restored checkpoint and its full base. */
  readonly restoredDepth: number;
  /** The restored checkpoint's timestamp. */
  readonly restoredTimestamp: number | undefined;
  /** A full checkpoint at least every this many; those between store only the keyed state that changed. */
  readonly fullEvery: number;
  /** Checkpoint `checkpointId` is stored: later ones may build on it. */
  readonly stored: (checkpointId: number) => void;
  readonly sources: readonly BarrierInjector[];
  readonly operatorIds: readonly string[];
  readonly sinkIds: readonly string[];
  /** Make a persisted checkpoint's sink writes visible (the sinks' committers). */
  readonly commit: (checkpoint: Checkpoint) => Promise<void>;
  readonly onEvent: (event: CheckpointEvent) => void;
  /** The job cannot go on: too many discarded checkpoints, a store or commit failure. */
  readonly onFatal: (error: unknown) => void;
}

interface Pending {
  readonly barrier: CheckpointBarrier;
  /** The stored checkpoint this one builds on; `undefined` for a full one. */
  readonly parent: number | undefined;
  readonly parentTimestamp: number | undefined;
  readonly depth: number;
  readonly final: boolean;
  readonly startedAt: number;
  readonly sources: Record<string, unknown>;
  readonly operators: Record<string, OperatorSnapshot>;
  readonly sinks: Record<string, SinkSnapshot>;
  readonly awaiting: Set<string>;
  readonly timer: NodeJS.Timeout;
}

/**
 * Triggers checkpoints, collects the acks of operators and sinks, persists a
 * checkpoint once all have acked, and then has it committed. Acks arrive in
 * barrier order because every task handles barriers in order, so checkpoints
 * complete, persist and commit in id order.
 */
export class CheckpointCoordinator {
  private nextId: number;
  private readonly pending = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private lastTrigger = Number.NEGATIVE_INFINITY;
  private lastCompletion = Number.NEGATIVE_INFINITY;
  private lastDuration = 0;
  private consecutiveFailures = 0;
  private stopped = false;
  private finishing: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private finalTriggered = false;
  // Completion is sequential: persist n, commit n, then n+1.
  private completing: Promise<void> = Promise.resolve();
  // The save or commit under way, if any: what quiesce() waits for.
  private inFlight: Promise<unknown> | undefined;
  // What sinks prepared for checkpoints that were discarded: committed with the next one that completes.
  private readonly carried = new Map<string, unknown[]>();
  // The newest stored checkpoint, which the next one builds on.
  private lastStored: { readonly id: number; readonly depth: number; readonly timestamp: number | undefined } | undefined;

  constructor(private readonly options: CoordinatorOptions) {
    this.nextId = options.restoredId + 1;
    if (options.restoredId > 0) this.lastStored = { id: options.restoredId, depth: options.restoredDepth, timestamp: options.restoredTimestamp };
  }

  /** The stored checkpoint that checkpoint `checkpointId` builds on, or `undefined` when it is a full one. */
  parentOf(checkpointId: number): number | undefined {
    return this.pending.get(checkpointId)?.parent;
  }

  /** Begin periodic checkpoints. */
  start(): void {
    // A restarted job's first checkpoint comes one interval in, not at once: it has nothing new to save before records flow.
    if (this.options.restoredId > 0) this.lastTrigger = performance.now();
    this.schedule();
  }

  /** Stop triggering and drop what is pending (the job is going down). A save or commit under way goes on: see {@link quiesce}. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /**
   * Resolves once no save or commit of this coordinator is in flight any more
   * (each finished or failed, so its outcome is known), for a stopped
   * coordinator. The next attempt of the job must not read the store before:
   * a save landing after it restored an older checkpoint would have the old
   * attempt commit output that the new one writes again. A store that has not
   * answered within the checkpoint timeout fails this with a
   * {@link StoreUnresponsiveError}: the job cannot know what it holds.
   */
  quiesce(): Promise<void> {
    const ignore = (): void => {};
    // The chain ends early when a save times out; the save itself may still be running.
    const idle = this.completing.then(() => this.inFlight?.then(ignore, ignore));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new StoreUnresponsiveError(
            `the snapshot store has not finished saving a checkpoint of job '${this.options.jobId}', or the sink's committer committing it, ${this.options.timeout} ms after the job stopped; ` +
              'what the store holds and the sink committed is unknown, so the job does not restart in this process: make them answer, then start the job again',
          ),
        );
      }, this.options.timeout);
      const settled = (): void => {
        clearTimeout(timer);
        resolve();
      };
      idle.then(settled, settled);
    });
  }

  /**
   * Take the final checkpoint (once pending ones are done): sources emit their
   * last barrier and complete. Resolves when it is persisted and committed.
   */
  finish(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.finishing = { resolve, reject };
      clearTimeout(this.timer);
      this.triggerFinalWhenIdle();
    });
  }

  /** An operator snapshotted its state at barrier `checkpointId`. */
  ackOperator(checkpointId: number, operatorId: string, snapshot: OperatorSnapshot): void {
    const p = this.pending.get(checkpointId);
    if (!p) return;
    p.operators[operatorId] = snapshot;
    this.acked(p, operatorId);
  }

  /** A sink pre-committed at barrier `checkpointId`. */
  ackSink(checkpointId: number, sinkId: string, snapshot: SinkSnapshot): void {
    const p = this.pending.get(checkpointId);
    if (!p) {
      // Discarded already: what it prepared must still be committed, with the next checkpoint.
      this.carry(sinkId, snapshot.committables);
      return;
    }
    p.sinks[sinkId] = snapshot;
    this.acked(p, sinkId);
  }

  private schedule(): void {
    const interval = this.options.interval;
    if (this.stopped || interval === undefined || this.finishing || this.pending.size >= this.options.maxConcurrent) return;
    // The monotonic clock: the wall clock may be stepped or slewed under the job.
    const now = performance.now();
    // A pause as long as the last checkpoint keeps a slow one from starving processing; more than an interval would
    // only hold back what an exactly-once sink makes visible at each commit.
    const minPause = this.options.minPause ?? Math.min(this.lastDuration, interval);
    const delay = Math.max(0, this.lastTrigger + interval - now, this.lastCompletion + minPause - now);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(false), delay);
  }

  private trigger(final: boolean): void {
    if (this.stopped) return;
    const id = this.nextId++;
    const barrier = new CheckpointBarrier(id, Date.now(), final);
    this.lastTrigger = performance.now();
    // Restore reads the full base and every delta after it: a full checkpoint every fullEvery bounds that.
    const builds = this.lastStored && this.lastStored.depth + 1 < this.options.fullEvery ? this.lastStored : undefined;
    const p: Pending = {
      barrier,
      parent: builds?.id,
      parentTimestamp: builds?.timestamp,
      depth: builds ? builds.depth + 1 : 0,
      final,
      startedAt: performance.now(),
      sources: {},
      operators: {},
      sinks: {},
      awaiting: new Set([...this.options.operatorIds, ...this.options.sinkIds]),
      timer: setTimeout(() => this.expire(id), this.options.timeout),
    };
    this.pending.set(id, p);
    this.options.onEvent({ type: 'checkpoint-triggered', checkpointId: id, final, triggeredAt: barrier.timestamp });
    for (const source of this.options.sources) p.sources[source.id] = source.inject(barrier);
    this.schedule();
  }

  private acked(p: Pending, participant: string): void {
    p.awaiting.delete(participant);
    if (p.awaiting.size > 0) return;
    clearTimeout(p.timer);
    this.completing = this.completing.then(() => this.complete(p));
  }

  private async complete(p: Pending): Promise<void> {
    if (this.stopped) return;
    const sinks: Record<string, SinkSnapshot> = {};
    for (const [sinkId, snapshot] of Object.entries(p.sinks)) {
      const carried = this.carried.get(sinkId) ?? [];
      sinks[sinkId] = { ...snapshot, committables: [...carried, ...snapshot.committables] };
    }
    const checkpoint: Checkpoint = {
      jobId: this.options.jobId,
      checkpointId: p.barrier.checkpointId,
      timestamp: p.barrier.timestamp,
      final: p.final,
      sources: p.sources,
      operators: p.operators,
      sinks,
      ...(p.parent === undefined ? {} : { parent: p.parent }),
      ...(p.parentTimestamp === undefined ? {} : { parentTimestamp: p.parentTimestamp }),
      depth: p.depth,
    };
    try {
      const writeStarted = performance.now();
      const bytes = await this.withinTimeout(p, 'saving', this.options.store.save(checkpoint));
      const storeWriteMs = performance.now() - writeStarted;
      this.carried.clear();
      this.pending.delete(p.barrier.checkpointId);
      // Stored: later checkpoints may build on it, whether or not this attempt goes on to commit it.
      this.lastStored = { id: checkpoint.checkpointId, depth: p.depth, timestamp: checkpoint.timestamp };
      this.options.stored(checkpoint.checkpointId);
      // The job is going down: the next attempt restores this checkpoint and commits it then.
      if (this.stopped) return;
      await this.withinTimeout(p, 'committing', this.options.commit(checkpoint));
      await Promise.all(this.options.sources.map((s) => s.checkpointComplete(checkpoint.checkpointId, checkpoint.sources[s.id])));
      this.consecutiveFailures = 0;
      this.lastCompletion = performance.now();
      this.lastDuration = performance.now() - p.startedAt;
      this.options.onEvent({
        type: 'checkpoint-completed',
        checkpointId: checkpoint.checkpointId,
        final: p.final,
        triggeredAt: p.barrier.timestamp,
        durationMs: this.lastDuration,
        bytes,
        storeWriteMs,
      });
    } catch (error) {
      this.fatal(error);
      return;
    }
    if (p.final) this.finishing?.resolve();
    else if (this.finishing) this.triggerFinalWhenIdle();
    else this.schedule();
  }

  /**
   * The checkpoint timeout, counted from the trigger, covers the save and the
   * commit too. When it passes first the checkpoint is reported failed and
   * counts as one, but the attempt fails whatever `tolerableFailures` says:
   * a save that timed out may still land later, and an attempt that went on
   * past a checkpoint of unknown outcome could commit its output twice. The
   * save or commit stays in flight, for {@link quiesce} to wait on.
   */
  private async withinTimeout<R>(p: Pending, what: 'saving' | 'committing', work: Promise<R>): Promise<R> {
    const checkpointId = p.barrier.checkpointId;
    this.inFlight = work;
    let timer: NodeJS.Timeout | undefined;
    const remaining = Math.max(0, this.options.timeout - (performance.now() - p.startedAt));
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new CheckpointFailedError(
          `checkpoint ${checkpointId} of job '${this.options.jobId}' timed out after ${this.options.timeout} ms ${what} it (${what === 'saving' ? 'the snapshot store' : "the sink's committer"} did not answer); ` +
            'its outcome is unknown, so this attempt stops and the job restarts from the newest checkpoint the store holds once it answers',
          checkpointId,
        );
        this.consecutiveFailures++;
        this.options.onEvent({ type: 'checkpoint-failed', checkpointId, error });
        reject(error);
      }, remaining);
    });
    try {
      return await Promise.race([work, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private expire(checkpointId: number): void {
    const p = this.pending.get(checkpointId);
    if (!p || this.stopped) return;
    this.pending.delete(checkpointId);
    for (const [sinkId, snapshot] of Object.entries(p.sinks)) this.carry(sinkId, snapshot.committables);
    const error = new CheckpointFailedError(
      `checkpoint ${checkpointId} of job '${this.options.jobId}' timed out after ${this.options.timeout} ms waiting for ${[...p.awaiting].join(', ')}`,
      checkpointId,
    );
    this.options.onEvent({ type: 'checkpoint-failed', checkpointId, error });
    this.consecutiveFailures++;
    if (p.final || this.consecutiveFailures > this.options.tolerableFailures) this.fatal(error);
    else if (this.finishing) this.triggerFinalWhenIdle();
    else this.schedule();
  }

  private triggerFinalWhenIdle(): void {
    if (this.pending.size > 0 || this.finalTriggered) return;
    this.finalTriggered = true;
    this.trigger(true);
  }

  private carry(sinkId: string, committables: readonly unknown[]): void {
    if (committables.length === 0) return;
    this.carried.set(sinkId, [...(this.carried.get(sinkId) ?? []), ...committables]);
  }

  private fatal(error: unknown): void {
    this.stop();
    this.finishing?.reject(error);
    this.options.onFatal(error);
  }
}
