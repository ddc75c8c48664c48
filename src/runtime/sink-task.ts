import { Marker } from '../contracts/element.js';
import { RecordCountingSubscriber } from '../contracts/operate.js';
import { CheckpointBarrier } from '../contracts/barrier.js';
import type { SinkSnapshot } from '../snapshot/store.js';

/** A sink writer of either kind, as the sink task drives it. */
export interface SinkTaskWriter<T> {
  write(record: T): void | Promise<void>;
  /** Flush or pre-commit at a barrier, and say what to store in the checkpoint. */
  barrier(checkpointId: number, final: boolean): Promise<SinkSnapshot>;
}

/**
 * Feeds a flow into a sink writer, one element at a time: while a write or a
 * pre-commit is in progress, later elements queue (and count as in flight,
 * which is what pauses the sources), so a barrier is handled only after every
 * record before it was written. It subscribes to the sink's input itself and
 * counts the records it takes in, so the sink's input needs no counting stage.
 */
export class SinkTask<T> extends RecordCountingSubscriber<T> {
  private queue: (T | Marker)[] = [];
  private head = 0;
  private busy = false;
  private inProgress: Promise<void> = Promise.resolve();
  private draining = false;
  private inputComplete = false;
  private failed = false;

  constructor(
    private readonly writer: SinkTaskWriter<T>,
    private readonly hooks: {
      readonly ack: (checkpointId: number, snapshot: SinkSnapshot) => void;
      readonly inFlight: (delta: number) => void;
      readonly fail: (error: unknown) => void;
      readonly done: () => void;
    },
  ) {
    super();
  }

  protected override _next(element: T | Marker): void {
    // While draining, whatever arrives (re-entrantly, from a source resumed by the drain) goes behind the queue.
    if (this.busy || this.draining) {
      this.queue.push(element);
      this.hooks.inFlight(1);
    } else {
      this.handle(element);
    }
  }

  protected override _error(error: unknown): void {
    try {
      this.fail(error);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.inputComplete = true;
      if (!this.busy) this.hooks.done();
    } finally {
      this.unsubscribe();
    }
  }

  private handle(element: T | Marker): void {
    try {
      if (element instanceof Marker) {
        if (element instanceof CheckpointBarrier) this.await(this.prepare(element));
        return;
      }
      this.recordsIn++;
      const written = this.writer.write(element);
      if (written) this.await(written);
    } catch (error) {
      this.fail(error);
    }
  }

  private async prepare(barrier: CheckpointBarrier): Promise<void> {
    this.hooks.ack(barrier.checkpointId, await this.writer.barrier(barrier.checkpointId, barrier.final));
  }

  /** Settles once the write or pre-commit in progress, if any, has settled either way. */
  idle(): Promise<void> {
    return this.inProgress;
  }

  private await(work: Promise<void>): void {
    this.busy = true;
    this.inProgress = work.then(
      () => {},
      () => {},
    );
    work.then(
      () => this.drain(),
      (error: unknown) => this.fail(error),
    );
  }

  private drain(): void {
    this.busy = false;
    this.draining = true;
    while (!this.busy && !this.failed && this.head < this.queue.length) {
      const element = this.queue[this.head++] as T | Marker;
      this.hooks.inFlight(-1);
      this.handle(element);
    }
    this.draining = false;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.inputComplete && !this.busy) this.hooks.done();
    } else if (this.head >= 4096) {
      // A queue that never quite empties would otherwise keep every element it ever held.
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.hooks.fail(error);
  }
}
