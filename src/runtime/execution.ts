import type { Subscription } from 'rxjs';
import type { Flow } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Operator } from '../contracts/operator.js';
import { operatorInfo } from '../contracts/operator.js';
import { applyingOperator } from '../contracts/operate.js';
import type { PipelineSettings } from './settings.js';
import type { Committer, Sink, SinkWriter } from '../contracts/sink.js';
import type { Source } from '../contracts/source.js';
import type { Wiring } from './wiring.js';
import { alignBarriers } from './alignment.js';
import { CheckpointCoordinator } from './coordinator.js';
import type { CheckpointEvent } from './coordinator.js';
import { snapshotAtBarriers } from './operator-snapshot.js';
import { StateRegistry } from '../snapshot/state.js';
import type { Checkpoint, SnapshotStore } from '../snapshot/store.js';
import { InFlightGauge } from './flow-control.js';
import { SinkTask } from './sink-task.js';
import { SourceTask } from './source-task.js';
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
  private operatorCount = 0;
  private readonly gauge: InFlightGauge;
  private coordinator: CheckpointCoordinator | undefined;
  private subscription: Subscription | undefined;
  private committer: Committer<unknown> | undefined;
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
  ) {
    // run() may throw before it awaits the result; a failure reported meanwhile must not crash the process.
    this.result.catch(() => {});
    const { highWaterMark = 10_000, lowWaterMark = 5_000 } = job.settings.flowControl;
    this.gauge = new InFlightGauge(
      highWaterMark,
      lowWaterMark,
      () => this.sources.forEach((s) => s.pause()),
      () => this.sources.forEach((s) => s.resume()),
    );
  }

  source<T>(source: Source<T, Guarantee, Replay>): Flow<T> {
    const id = `${this.sources.length}-${source.name}`;
    const task = new SourceTask<T>(id, source, this.job.settings.id, this.restored?.sources[id], () => this.finishIfExhausted());
    this.sources.push(task as SourceTask<unknown>);
    if (this.draining) task.drain();
    return task.flow;
  }

  operator<In, Out>(operator: Operator<In, Out, Guarantee, Replay>, input: Flow<In>): Flow<Out> {
    const id = `${this.operatorCount++}-${operator[operatorInfo].name}`;
    const state = new StateRegistry(this.restored?.operators[id]);
    const output = applyingOperator(id, () => operator(input, { id, state, inFlight: this.gauge.add }));
    if (state.isEmpty) return output;
    this.statefulOperators.push(id);
    return snapshotAtBarriers(output, state, (barrier, snapshot) => this.coordinator?.ackOperator(barrier.checkpointId, id, snapshot));
  }

  union<T>(inputs: Flow<T>[]): Flow<T> {
    return alignBarriers(inputs);
  }

  /** Run to the end; resolves with how it ended, rejects with the first failure. */
  async run(): Promise<ExecutionOutcome> {
    const { settings, sink } = this.job;
    const sinkId = `sink-${sink.name}`;
    const restoredId = this.restored?.checkpointId ?? 0;
    const restoredSink = this.restored?.sinks[sinkId];
    let writer: SinkWriter<unknown, unknown, unknown> | undefined;
    try {
      const flow = this.job.plan(this);
      this.committer = sink.createCommitter?.();
      // Commit is idempotent: the restored checkpoint's writes may or may not have been committed before the crash.
      if (restoredSink && restoredSink.committables.length > 0) await this.committer?.commit(restoredSink.committables, restoredId);
      writer = await sink.createWriter({
        jobId: settings.id,
        taskId: sinkId,
        restoredCheckpointId: restoredId,
        restoredState: restoredSink?.writerState,
        replayCommittedOutput: settings.checkpoints?.replayCommittedOutput ?? false,
      });
      const checkpoints = settings.checkpoints;
      this.coordinator = new CheckpointCoordinator({
        jobId: settings.id,
        store: this.store,
        interval: checkpoints?.interval,
        minPause: checkpoints?.minPause ?? 0,
        timeout: checkpoints?.timeout ?? 60_000,
        maxConcurrent: checkpoints?.maxConcurrent ?? 1,
        tolerableFailures: checkpoints?.tolerableFailures ?? 3,
        restoredId,
        sources: this.sources,
        operatorIds: this.statefulOperators,
        sinkIds: [sinkId],
        commit: async (checkpoint) => {
          const committables = checkpoint.sinks[sinkId]?.committables ?? [];
          if (committables.length > 0) await this.committer?.commit(committables, checkpoint.checkpointId);
        },
        onEvent: this.onCheckpoint,
        onFatal: (error) => this.fail(error),
      });
      const task = new SinkTask<unknown>(writer, {
        ack: (checkpointId, snapshot) => this.coordinator?.ackSink(checkpointId, sinkId, snapshot),
        inFlight: this.gauge.add,
        fail: (error) => this.fail(error),
        done: () => {
          this.inputDone = true;
          this.succeedIfDone();
        },
      });
      this.subscription = flow.subscribe(task);
      this.coordinator.start();
      this.finishIfExhausted();
      return await this.result;
    } finally {
      this.coordinator?.stop();
      this.subscription?.unsubscribe();
      // The next attempt may read the store only once this one's save and commit are over.
      const unquiesced: unknown = await this.coordinator?.quiesce().then(() => undefined, (error: unknown) => error);
      await this.closeQuietly([...this.sources.map((s) => () => s.close()), () => writer?.close(), () => this.committer?.close?.()]);
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
    this.settled = true;
    this.settle.reject(error);
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
