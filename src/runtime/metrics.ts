import { Observable } from '../contracts/rxjs.js';
import type { Observer } from 'rxjs';
import { CheckpointBarrier } from '../contracts/barrier.js';
import { Marker } from '../contracts/element.js';
import type { Flow } from '../contracts/element.js';
import type { SplitMetricsReporter } from '../contracts/metrics.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import { RecordCountingSubscriber, StatelessFlow } from '../contracts/operate.js';
import type { CountsRecords } from '../contracts/operate.js';
import type { Operator } from '../contracts/operator.js';
import { operatorInfo } from '../contracts/operator.js';
import type { Sink } from '../contracts/sink.js';
import type { Source } from '../contracts/source.js';
import { messageOf } from '../errors.js';
import type { CheckpointEvent } from './coordinator.js';
import type { Wiring } from './wiring.js';
import { operatorTaskId, sinkTaskId, sourceTaskId } from './wiring.js';

/** What a node of the job graph is. */
export type StageKind = 'source' | 'operator' | 'union' | 'sink';

/** One node of the job graph and the records that went through it, over all attempts. */
export interface StageMetrics {
  /** The id its checkpointed state is stored under (`0-collection`, `2-count`, `sink-file`). */
  readonly id: string;
  readonly kind: StageKind;
  /** The connector's or operator's name. */
  readonly name: string;
  /** The guarantee the connector or operator keeps on its own (the job's is the weakest of them). */
  readonly guarantee: Guarantee;
  /** Records taken in; absent for a source (what it reads is what it emits: {@link recordsOut}). */
  readonly recordsIn?: number;
  /** Records handed downstream; absent for a sink. */
  readonly recordsOut?: number;
}

/** A flow from one stage into another. */
export interface EdgeMetrics {
  readonly from: string;
  readonly to: string;
  /** Records that went along it (markers not counted); absent when record counting is off. */
  readonly records?: number;
}

/** Where a source's reader is in one split (a file, a partition, a shard). */
export interface SplitMetrics {
  readonly sourceId: string;
  readonly splitId: string;
  /** The reader's position as it reported it (a byte offset, a Kafka offset, a sequence number). */
  readonly position: unknown;
  /** Records (or what the system counts in) between the position and the end of the split, where the system knows it. */
  readonly lag?: number;
  /** When the reader last reported, ms since the epoch. */
  readonly updatedAt: number;
}

/** One checkpoint, with the columns of Flink's checkpoint history. */
export interface CheckpointStats {
  readonly id: number;
  readonly status: 'in-progress' | 'completed' | 'failed';
  /** Taken when the job ended (sources exhausted, or drained). */
  readonly final: boolean;
  /** When the coordinator triggered it, ms since the epoch. */
  readonly triggeredAt: number;
  /** From trigger to persisted and committed, in ms (completed checkpoints). */
  readonly durationMs?: number;
  /** Bytes the snapshot store wrote. */
  readonly bytes?: number;
  /**
   * The longest time a `union` held inputs back waiting for this checkpoint's barrier
   * on its other inputs (Flink's alignment duration); 0 for a job without `union`.
   */
  readonly alignmentMs: number;
  /** Time the snapshot store took to write it, in ms. */
  readonly storeWriteMs?: number;
  /** Why it was discarded (failed checkpoints). */
  readonly failure?: string;
}

/** A restart of the job after a failure. */
export interface RestartStats {
  /** The attempt the restart begins (2 for the first restart). */
  readonly attempt: number;
  /** When the failure was handled, ms since the epoch. */
  readonly at: number;
  readonly delayMs: number;
  /** The failure's class name and message. */
  readonly errorName: string;
  readonly error: string;
}

/** Where a job is in its life. */
export type JobStatus = 'running' | 'restarting' | 'finished' | 'drained' | 'stopped' | 'failed';

/** A job's metrics at one moment: what `handle.metrics()` returns and `metrics` events carry. */
export interface JobMetricsSnapshot {
  readonly jobId: string;
  /** The guarantee the job declared. */
  readonly guarantee: Guarantee;
  readonly status: JobStatus;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly endedAt?: number;
  /** When this snapshot was taken, ms since the epoch. */
  readonly takenAt: number;
  /** The attempt running now (1 until the first restart). */
  readonly attempt: number;
  /** Whether records are counted (`metrics: { records: false }` turns it off). */
  readonly recordsCounted: boolean;
  /** The job graph, sources first, the sink last. */
  readonly stages: readonly StageMetrics[];
  readonly edges: readonly EdgeMetrics[];
  readonly splits: readonly SplitMetrics[];
  /** Time the sources spent paused because too many records were in flight. */
  readonly flowControl: { readonly paused: boolean; readonly pausedMs: number; readonly pauses: number };
  readonly checkpoints: {
    readonly completed: number;
    readonly failed: number;
    readonly inProgress: number;
    /** The checkpoint the latest attempt resumed from. */
    readonly restoredFrom?: number;
    /** The latest checkpoints, oldest first (at most 100). */
    readonly history: readonly CheckpointStats[];
  };
  /** Restarts, oldest first (at most 100). */
  readonly restarts: readonly RestartStats[];
}

/**
 * Counts the records that pass it, for consumers that do not count their own
 * input (`union`, raw RxJS inside `rx()`), and
 * tells an alignment tracker when barriers and the end of its input pass.
 */
export class CountingSubscriber<T> extends RecordCountingSubscriber<T> {
  constructor(
    destination: Observer<T | Marker>,
    private readonly alignment?: { readonly tracker: AlignmentTracker },
  ) {
    super(destination);
  }

  protected override _next(value: T | Marker): void {
    if (!(value instanceof Marker)) this.recordsIn++;
    else if (this.alignment && value instanceof CheckpointBarrier) this.alignment.tracker.barrier(value.checkpointId);
    this.destination.next(value);
  }

  protected override _complete(): void {
    this.alignment?.tracker.inputCompleted();
    super._complete();
  }
}

/** Flink's alignment duration for one `union`: from the first input's barrier n to the last one's. */
class AlignmentTracker {
  private readonly arrivals = new Map<number, { readonly first: number; count: number }>();

  constructor(
    private open: number,
    private readonly report: (checkpointId: number, ms: number) => void,
  ) {}

  barrier(checkpointId: number): void {
    let arrival = this.arrivals.get(checkpointId);
    if (!arrival) this.arrivals.set(checkpointId, (arrival = { first: performance.now(), count: 0 }));
    arrival.count++;
    this.releaseAligned();
  }

  inputCompleted(): void {
    this.open--;
    this.releaseAligned();
  }

  private releaseAligned(): void {
    for (const [checkpointId, arrival] of this.arrivals) {
      if (arrival.count < this.open) continue;
      this.arrivals.delete(checkpointId);
      this.report(checkpointId, performance.now() - arrival.first);
    }
  }
}

/** One flow between two stages; its count survives restarts (each attempt's consumers are folded in when it ends). */
class Edge {
  private earlierAttempts = 0;
  private consumers: CountsRecords[] = [];

  constructor(
    readonly from: string,
    readonly to: string,
  ) {}

  consumedBy(consumer: CountsRecords): void {
    this.consumers.push(consumer);
  }

  get records(): number {
    let sum = this.earlierAttempts;
    for (const consumer of this.consumers) sum += consumer.recordsIn;
    return sum;
  }

  /** Keep the count, drop the ended attempt's subscribers (they hold its whole flow). */
  fold(): void {
    this.earlierAttempts = this.records;
    this.consumers = [];
  }
}

interface Stage {
  readonly id: string;
  readonly kind: StageKind;
  readonly name: string;
  readonly guarantee: Guarantee;
}

const historyLength = 100;

/**
 * A job's metrics over all its attempts. The runtime reports into it (checkpoint
 * events, restarts, flow control, split positions); records are counted by the
 * subscribers that consume each flow, wired in by {@link instrumentPlan}, and
 * summed only when a snapshot is taken, so counting costs one field increment a
 * record and a stage.
 */
export class JobMetrics implements SplitMetricsReporter {
  private readonly stages = new Map<string, Stage>();
  private readonly edges = new Map<string, Edge>();
  private readonly splits = new Map<string, SplitMetrics>();
  private readonly checkpoints = new Map<number, CheckpointStats>();
  // Alignment is measured when the barrier passes a union, before the checkpoint completes.
  private readonly alignments = new Map<number, number>();
  private readonly restarts: RestartStats[] = [];
  private completed = 0;
  private failed = 0;
  private restoredFrom: number | undefined;
  private status: JobStatus = 'running';
  private readonly startedAt = Date.now();
  private endedAt: number | undefined;
  private attempt = 1;
  private pausedSince: number | undefined;
  private pausedMs = 0;
  private pauses = 0;

  constructor(
    private readonly jobId: string,
    private readonly guarantee: Guarantee,
    /** Whether flows are counted; off, the graph is still known but edges have no counts. */
    readonly countRecords: boolean,
  ) {}

  /** A split reader's position, and its lag where the system knows it (Kafka's end offset minus the position, ...). */
  splitPosition(sourceId: string, splitId: string, position: unknown, lag?: number): void {
    this.splits.set(`${sourceId}\u0000${splitId}`, { sourceId, splitId, position, ...(lag === undefined ? {} : { lag }), updatedAt: Date.now() });
  }

  /** A split was finished or handed to another reader: stop showing it. */
  splitRemoved(sourceId: string, splitId: string): void {
    this.splits.delete(`${sourceId}\u0000${splitId}`);
  }

  /** Flow control paused (true) or resumed (false) the sources. */
  flowControlPaused(paused: boolean): void {
    const now = performance.now();
    if (paused && this.pausedSince === undefined) {
      this.pausedSince = now;
      this.pauses++;
    } else if (!paused && this.pausedSince !== undefined) {
      this.pausedMs += now - this.pausedSince;
      this.pausedSince = undefined;
    }
  }

  /** A `union` aligned barrier `checkpointId` in `ms`: the checkpoint's alignment is the longest of its unions'. */
  aligned(checkpointId: number, ms: number): void {
    const longest = Math.max(ms, this.alignments.get(checkpointId) ?? 0);
    this.alignments.set(checkpointId, longest);
    const stats = this.checkpoints.get(checkpointId);
    if (stats) this.checkpoints.set(checkpointId, { ...stats, alignmentMs: longest });
  }

  /** A checkpoint was triggered, completed or discarded. */
  checkpoint(event: CheckpointEvent): void {
    const earlier = this.checkpoints.get(event.checkpointId);
    switch (event.type) {
      case 'checkpoint-triggered':
        this.remember({ id: event.checkpointId, status: 'in-progress', final: event.final, triggeredAt: event.triggeredAt, alignmentMs: 0 });
        break;
      case 'checkpoint-completed':
        this.completed++;
        this.remember({
          id: event.checkpointId,
          status: 'completed',
          final: event.final,
          triggeredAt: event.triggeredAt,
          durationMs: event.durationMs,
          bytes: event.bytes,
          alignmentMs: this.alignments.get(event.checkpointId) ?? 0,
          storeWriteMs: event.storeWriteMs,
        });
        this.alignments.delete(event.checkpointId);
        break;
      case 'checkpoint-failed':
        this.failed++;
        this.remember({
          id: event.checkpointId,
          status: 'failed',
          final: earlier?.final ?? false,
          triggeredAt: earlier?.triggeredAt ?? Date.now(),
          alignmentMs: this.alignments.get(event.checkpointId) ?? 0,
          failure: event.error.message,
        });
        this.alignments.delete(event.checkpointId);
        break;
    }
  }

  /** An attempt begins, resuming from `checkpointId` (undefined: from the start). */
  attemptStarted(attempt: number, checkpointId: number | undefined): void {
    this.attempt = attempt;
    this.status = 'running';
    if (checkpointId !== undefined) this.restoredFrom = checkpointId;
  }

  /** An attempt ended: keep its counts, release its subscribers, and end what it had in progress. */
  attemptEnded(): void {
    for (const edge of this.edges.values()) edge.fold();
    this.flowControlPaused(false);
    this.alignments.clear();
    for (const stats of this.checkpoints.values()) {
      if (stats.status !== 'in-progress') continue;
      this.failed++;
      this.checkpoints.set(stats.id, { ...stats, status: 'failed', failure: 'the attempt ended before it completed' });
    }
  }

  /** The job failed and will restart after `delayMs`. */
  restarting(attempt: number, delayMs: number, error: unknown): void {
    this.status = 'restarting';
    this.restarts.push({ attempt, at: Date.now(), delayMs, errorName: error instanceof Error ? error.name : typeof error, error: messageOf(error) });
    if (this.restarts.length > historyLength) this.restarts.shift();
  }

  /** The job ended. */
  ended(status: Exclude<JobStatus, 'running' | 'restarting'>): void {
    this.status = status;
    this.endedAt = Date.now();
  }

  /** Everything at this moment. */
  snapshot(): JobMetricsSnapshot {
    const now = performance.now();
    const edges = [...this.edges.values()].map((e) => ({ from: e.from, to: e.to, ...(this.countRecords ? { records: e.records } : {}) }));
    const sum = (pick: (e: EdgeMetrics) => boolean): number | undefined =>
      this.countRecords ? edges.filter(pick).reduce((total, e) => total + (e.records ?? 0), 0) : undefined;
    const stages = [...this.stages.values()].map((s): StageMetrics => {
      const recordsIn = s.kind === 'source' ? undefined : sum((e) => e.to === s.id);
      const recordsOut = s.kind === 'sink' ? undefined : sum((e) => e.from === s.id);
      return { ...s, ...(recordsIn === undefined ? {} : { recordsIn }), ...(recordsOut === undefined ? {} : { recordsOut }) };
    });
    const history = [...this.checkpoints.values()];
    return {
      jobId: this.jobId,
      guarantee: this.guarantee,
      status: this.status,
      startedAt: this.startedAt,
      ...(this.endedAt === undefined ? {} : { endedAt: this.endedAt }),
      takenAt: Date.now(),
      attempt: this.attempt,
      recordsCounted: this.countRecords,
      stages,
      edges,
      splits: [...this.splits.values()],
      flowControl: {
        paused: this.pausedSince !== undefined,
        pausedMs: this.pausedMs + (this.pausedSince === undefined ? 0 : now - this.pausedSince),
        pauses: this.pauses,
      },
      checkpoints: {
        completed: this.completed,
        failed: this.failed,
        inProgress: history.filter((c) => c.status === 'in-progress').length,
        ...(this.restoredFrom === undefined ? {} : { restoredFrom: this.restoredFrom }),
        history,
      },
      restarts: [...this.restarts],
    };
  }

  /** @internal A stage of the graph (the same on every attempt: ids are deterministic). */
  stage(stage: Stage): void {
    if (!this.stages.has(stage.id)) this.stages.set(stage.id, stage);
  }

  /** @internal The flow from `from` into `to`. */
  edge(from: string, to: string): Edge {
    const key = `${from}\u0000${to}`;
    let edge = this.edges.get(key);
    if (!edge) this.edges.set(key, (edge = new Edge(from, to)));
    return edge;
  }

  private remember(stats: CheckpointStats): void {
    this.checkpoints.delete(stats.id);
    this.checkpoints.set(stats.id, stats);
    if (this.checkpoints.size > historyLength) this.checkpoints.delete(this.checkpoints.keys().next().value as number);
  }
}

/**
 * The wiring of one attempt, as the metrics see it: it passes every call on to
 * the runtime's wiring, notes the stage each flow comes out of, and hands each
 * stage its input through {@link counted}, so records are counted where they
 * are consumed.
 */
class CountingWiring implements Wiring {
  private readonly producers = new WeakMap<Flow<unknown>, string>();
  private sources = 0;
  private operators = 0;
  private unions = 0;

  constructor(
    private readonly inner: Wiring,
    private readonly metrics: JobMetrics,
  ) {}

  source<T>(source: Source<T, Guarantee, Replay>): Flow<T> {
    const id = sourceTaskId(this.sources++, source.name);
    this.metrics.stage({ id, kind: 'source', name: source.name, guarantee: source.guarantee });
    return this.produced(this.inner.source(source), id);
  }

  operator<In, Out>(operator: Operator<In, Out, Guarantee, Replay>, input: Flow<In>): Flow<Out> {
    const info = operator[operatorInfo];
    const { name, guarantee } = info;
    const id = operatorTaskId(this.operators++, info);
    this.metrics.stage({ id, kind: 'operator', name, guarantee });
    return this.produced(this.inner.operator(operator, this.input(input, id)), id);
  }

  union<T>(inputs: Flow<T>[]): Flow<T> {
    const id = `union-${this.unions++}`;
    const tracker = new AlignmentTracker(inputs.length, (checkpointId, ms) => this.metrics.aligned(checkpointId, ms));
    // The weakest of the inputs' guarantees is the stream's; a union itself keeps what it is given.
    this.metrics.stage({ id, kind: 'union', name: 'union', guarantee: 'exactly-once' });
    return this.produced(this.inner.union(inputs.map((input) => this.input(input, id, tracker))), id);
  }

  /** The flow into the sink, counted. */
  sinkInput(flow: Flow<unknown>, sink: Sink<unknown, Guarantee, Guarantee, boolean, unknown, unknown>): Flow<unknown> {
    const id = sinkTaskId(sink.name);
    this.metrics.stage({ id, kind: 'sink', name: sink.name, guarantee: sink.guarantee });
    return this.input(flow, id);
  }

  private produced<T>(flow: Flow<T>, stageId: string): Flow<T> {
    this.producers.set(flow as Flow<unknown>, stageId);
    return flow;
  }

  private input<T>(flow: Flow<T>, consumer: string, tracker?: AlignmentTracker): Flow<T> {
    const edge = this.metrics.edge(this.producers.get(flow as Flow<unknown>) ?? 'unknown', consumer);
    if (!this.metrics.countRecords && !tracker) return flow;
    return counted(flow, edge, tracker);
  }
}

/**
 * `flow` as the input of a stage whose consumption `edge` counts. A consumer
 * that counts what it takes in already (a {@link RecordCountingSubscriber}: an
 * operator's subscriber, a fused chain's, the sink task) subscribes to `flow`
 * directly, and a fused chain's output is counted by the stage that takes it;
 * either is read at snapshot time: no extra stage per record. Any other consumer gets a
 * {@link CountingSubscriber} in front of it.
 */
function counted<T>(flow: Flow<T>, edge: Edge, tracker: AlignmentTracker | undefined): Flow<T> {
  // Out of a fused chain of stateless operators: counted by the stage that takes it, inside the chain.
  if (!tracker && flow instanceof StatelessFlow) return (flow as StatelessFlow<T>).countedBy((consumer) => edge.consumedBy(consumer));
  return new Observable<T | Marker>((subscriber) => {
    if (!tracker && subscriber instanceof RecordCountingSubscriber) {
      edge.consumedBy(subscriber);
      return flow.subscribe(subscriber);
    }
    const counting = new CountingSubscriber<T>(subscriber, tracker && { tracker });
    edge.consumedBy(counting);
    return flow.subscribe(counting);
  });
}

/** A job's plan whose stages are counted into `metrics`; the graph is recorded when an attempt wires it. */
export function instrumentPlan(
  plan: (wiring: Wiring) => Flow<unknown>,
  sink: Sink<unknown, Guarantee, Guarantee, boolean, unknown, unknown>,
  metrics: JobMetrics,
): (wiring: Wiring) => Flow<unknown> {
  return (wiring) => {
    const counting = new CountingWiring(wiring, metrics);
    return counting.sinkInput(plan(counting), sink);
  };
}
