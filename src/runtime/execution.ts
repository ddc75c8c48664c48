import type { Subscription } from 'rxjs';
import type { Flow } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Operator } from '../contracts/operator.js';
import { operatorInfo } from '../contracts/operator.js';
import { applyingOperator } from '../contracts/operate.js';
import type { PipelineSettings } from './settings.js';
import type { Committer, Sink } from '../contracts/sink.js';
import type { Source } from '../contracts/source.js';
import type { Wiring } from './wiring.js';
import { operatorTaskId, sinkTaskId, sourceTaskId } from './wiring.js';
import type { JobMetrics } from './metrics.js';
import { alignBarriers } from './alignment.js';
import { CheckpointCoordinator } from './coordinator.js';
import type { CheckpointEvent } from './coordinator.js';
import { snapshotAtBarriers } from './operator-snapshot.js';
import { StateRegistry } from '../snapshot/state.js';
import type { Checkpoint, SnapshotStore } from '../snapshot/store.js';
import { InFlightGauge } from './flow-control.js';
import { SinkTask } from './sink-task.js';
import type { SinkTaskWriter } from './sink-task.js';
import { commitAll } from './commit.js';
import { ConfigurationError } from '../errors.js';
import { SourceTask } from './source-task.js';
import { noteRecordOrigin } from './operator-errors.js';
import type { SourceCheckpoint } from './source-task.js';
import { messageOf } from '../errors.js';

/** Everything a job is made of, as `Stream.to()` left it. */
export interface JobPlan {
  readonly settings: PipelineSettings;
  readonly plan: (wiring: Wiring) => Flow<unknown>;
  readonly sink: Sink<unknown, Guarantee, Guarantee, boolean, unknown, unknown>;
}

/** How one attempt ended. */
export type ExecutionOutcome = 'finished' | 'drained' | 'stopped';

/**
 * One attempt of a job: fresh readers, operator state restored from the
 * checkpoint, a fresh writer, and a coordinator numbering checkpoints on from
 * the restored one. It ends when the final checkpoint is committed, when it
 * is stopped, or with the first failure of any part.
 */
export class Execution implements Wiring {
  private readonly sources: SourceTask<unknown>[] = [];
  private readonly statefulOperators: string[] = [];
  private readonly registries: StateRegistry[] = [];
  private operatorCount = 0;
  private readonly operatorIds = new Set<string>();
  private readonly reportedSplits = new Map<string, Set<string>>();
  private readonly gauge: InFlightGauge;
  private coordinator: CheckpointCoordinator | undefined;
  private subscription: Subscription | undefined;
  private committer: Committer<unknown> | undefined;
  private sinkTask: SinkTask<unknown> | undefined;
  private settle!: { resolve: (outcome: ExecutionOutcome) => void; reject: (error: unknown) => void };
  // Made with the execution, not in run(), so stop() or a failure before run() is not lost.
  private readonly result = new Promise<ExecutionOutcome>((resolve, reject) => (this.settle = { resolve, reject }));
  private settled = false;
  private draining = false;
  private finishing = false;
  private inputDone = false;
  private finalCommitted = false;

  constructor(
    private readonly job: JobPlan,
    private readonly store: SnapshotStore,
    private readonly restored: Checkpoint | undefined,
    private readonly onCheckpoint: (event: CheckpointEvent) => void,
    private readonly metrics: JobMetrics,
  ) {
    // run() may throw before it awaits the result; a failure reported meanwhile must not crash the process.
    this.result.catch(() => {});
    const { highWaterMark = 10_000, lowWaterMark = 5_000 } = job.settings.flowControl;
    this.gauge = new InFlightGauge(
      highWaterMark,
      lowWaterMark,
      () => {
        this.metrics.flowControlPaused(true);
        this.sources.forEach((s) => s.pause());
      },
      () => {
        this.metrics.flowControlPaused(false);
        this.sources.forEach((s) => s.resume());
      },
    );
  }

  source<T>(source: Source<T, Guarantee, Replay>): Flow<T> {
    const id = sourceTaskId(this.sources.length, source.name);
    const task = new SourceTask<T>(id, source, this.job.settings.id, this.restored?.sources[id], () => this.finishIfExhausted(), this.job.settings.logger);
    this.sources.push(task as SourceTask<unknown>);
    if (this.draining) task.drain();
    return task.flow;
  }

  operator<In, Out>(operator: Operator<In, Out, Guarantee, Replay>, input: Flow<In>): Flow<Out> {
    // A stable id keeps an operator's state when operators are added before it; without one, its place in the plan is its id.
    const id = operatorTaskId(this.operatorCount++, operator[operatorInfo]);
    if (this.operatorIds.has(id)) throw new ConfigurationError(`two operators of job '${this.job.settings.id}' have the id '${id}': give each a different uid()`);
    this.operatorIds.add(id);
    // Without periodic checkpoints there is nothing for a delta to build on: keyed state then records no changed keys.
    const chain = this.job.settings.checkpoints ? { parentOf: (checkpointId: number) => this.coordinator?.parentOf(checkpointId) } : undefined;
    const state = new StateRegistry(this.restored?.operators[id], chain);
    const output = applyingOperator(id, () => operator(input, { id, state, inFlight: this.gauge.add }));
    if (state.isEmpty) return output;
    this.statefulOperators.push(id);
    this.registries.push(state);
    return snapshotAtBarriers(output, state, (barrier, snapshot) => this.coordinator?.ackOperator(barrier.checkpointId, id, snapshot));
  }

  union<T>(inputs: Flow<T>[]): Flow<T> {
    return alignBarriers(inputs);
  }

  /** Run to the end; resolves with how it ended, rejects with the first failure. */
  async run(): Promise<ExecutionOutcome> {
    const { settings, sink } = this.job;
    const sinkId = sinkTaskId(sink.name);
    const restoredId = this.restored?.checkpointId ?? 0;
    const restoredSink = this.restored?.sinks[sinkId];
    let writer: { close(): void | Promise<void> } | undefined;
    try {
      const flow = this.job.plan(this);
      const context = {
        jobId: settings.id,
        taskId: sinkId,
        restoredCheckpointId: restoredId,
        logger: settings.logger,
        replayCommittedOutput: settings.checkpoints?.replayCommittedOutput ?? false,
      };
      let taskWriter: SinkTaskWriter<unknown>;
      if (sink.kind === 'committing') {
        const committer = sink.createCommitter();
        this.committer = committer;
        // Commit is idempotent: the restored checkpoint's writes may or may not have been committed before the crash.
        if (restoredSink && restoredSink.committables.length > 0) await this.commit(committer, restoredSink.committables, restoredId);
        const committing = await sink.createWriter({ ...context, restoredState: restoredSink?.writerState });
        writer = committing;
        taskWriter = {
          write: (record) => committing.write(record),
          barrier: async (checkpointId, final) => ({
            committables: await committing.prepareCommit(checkpointId, final),
            writerState: committing.snapshotState?.(checkpointId),
          }),
        };
      } else {
        const flushing = await sink.createWriter({ ...context, restoredState: undefined });
        writer = flushing;
        taskWriter = {
          write: (record) => flushing.write(record),
          barrier: async (_checkpointId, final) => {
            await flushing.flush(final);
            return { committables: [], writerState: undefined };
          },
        };
      }
      const checkpoints = settings.checkpoints;
      this.coordinator = new CheckpointCoordinator({
        jobId: settings.id,
        store: this.store,
        interval: checkpoints?.interval,
        minPause: checkpoints?.minPause,
        timeout: checkpoints?.timeout ?? 60_000,
        maxConcurrent: checkpoints?.maxConcurrent ?? 1,
        tolerableFailures: checkpoints?.tolerableFailures ?? 3,
        restoredId,
        restoredDepth: this.restored?.depth ?? 0,
        restoredTimestamp: this.restored?.timestamp,
        fullEvery: checkpoints?.fullEvery ?? 10,
        stored: (checkpointId) => this.registries.forEach((r) => r.stored(checkpointId)),
        sources: this.sources,
        operatorIds: this.statefulOperators,
        sinkIds: [sinkId],
        commit: async (checkpoint) => {
          // Until readers report per split, a source's position as of the latest checkpoint stands for its one split.
          this.reportSplits(checkpoint.sources);
          const committables = checkpoint.sinks[sinkId]?.committables ?? [];
          if (this.committer && committables.length > 0) await this.commit(this.committer, committables, checkpoint.checkpointId);
        },
        onEvent: this.onCheckpoint,
        onFatal: (error) => this.fail(error),
      });
      const task = (this.sinkTask = new SinkTask<unknown>(taskWriter, {
        ack: (checkpointId, snapshot) => this.coordinator?.ackSink(checkpointId, sinkId, snapshot),
        inFlight: this.gauge.add,
        fail: (error) => this.fail(error),
        done: () => {
          this.inputDone = true;
          this.succeedIfDone();
        },
      }));
      this.subscription = flow.subscribe(task);
      this.coordinator.start();
      this.finishIfExhausted();
      return await this.result;
    } finally {
      this.coordinator?.stop();
      this.subscription?.unsubscribe();
      // Quiesce before the next attempt (or job) may restore: a pre-commit, save or commit of this attempt still running
      // would otherwise race the restore (renaming a part the restore just deleted, committing what it replays).
      await this.closeQuietly([...this.sources.map((s) => () => s.close()), () => writer?.close()]);
      await this.sinkTask?.idle();
      const unquiesced: unknown = await this.coordinator?.quiesce().then(() => undefined, (error: unknown) => error);
      await this.closeQuietly([() => this.committer?.close?.()]);
      if (unquiesced) throw unquiesced;
    }
  }

  /** Stop reading, take a final checkpoint of where the sources are, commit it, and end. */
  drain(): void {
    this.draining = true;
    this.sources.forEach((s) => s.drain());
  }

  /** End now, without a final checkpoint. */
  stop(): void {
    this.finish('stopped');
  }

  /** Fail the attempt (first failure wins). */
  fail(error: unknown): void {
    if (this.settled) return;
    // An operator that threw on a record did so inside its source's emission of it: say where the record came from.
    for (const source of this.sources) {
      const origin = source.recordOrigin();
      if (origin) noteRecordOrigin(error, { sourceId: source.id, ...origin });
    }
    this.settled = true;
    this.settle.reject(error);
  }

  /** Split positions as of the checkpoint just completed; a split that finished since the last one is no longer reported. */
  private reportSplits(sources: Readonly<Record<string, unknown>>): void {
    for (const [sourceId, stored] of Object.entries(sources)) {
      const now = new Set<string>();
      for (const { split, position } of (stored as SourceCheckpoint).splits) {
        now.add(split.splitId);
        this.metrics.splitPosition(sourceId, split.splitId, position, this.sources.find((task) => task.id === sourceId)?.lagOf(split.splitId));
      }
      for (const splitId of this.reportedSplits.get(sourceId) ?? []) if (!now.has(splitId)) this.metrics.splitRemoved(sourceId, splitId);
      this.reportedSplits.set(sourceId, now);
    }
  }

  private async commit(committer: Committer<unknown>, committables: readonly unknown[], checkpointId: number): Promise<void> {
    await commitAll(committer, committables, checkpointId, {
      maxRetries: 10,
      delay: (retry) => Math.min(5000, 100 * 2 ** (retry - 1)),
      abandoned: () => this.settled,
    });
  }

  private finishIfExhausted(): void {
    if (!this.coordinator || this.finishing || !this.sources.every((s) => s.isExhausted)) return;
    this.finishing = true;
    this.coordinator.finish().then(
      () => {
        this.finalCommitted = true;
        this.succeedIfDone();
      },
      // The coordinator has already reported the failure through onFatal.
      () => {},
    );
  }

  private succeedIfDone(): void {
    if (this.inputDone && this.finalCommitted) this.finish(this.draining ? 'drained' : 'finished');
  }

  private finish(outcome: ExecutionOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.resolve(outcome);
  }

  private async closeQuietly(closers: (() => unknown)[]): Promise<void> {
    for (const close of closers) {
      try {
        await close();
      } catch (error) {
        this.job.settings.logger.warn(`while closing job '${this.job.settings.id}': ${messageOf(error)}`);
      }
    }
  }
}
