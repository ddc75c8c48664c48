import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { Flow, Marker } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Source, SourceOutput, SourceReader } from '../contracts/source.js';
import type { Logger } from '../contracts/logger.js';
import type { CheckpointBarrier } from '../contracts/barrier.js';
import type { BarrierInjector } from './coordinator.js';

/**
 * Runs one source reader for one attempt of a job and injects barriers into
 * what it emits. A reader that is exhausted keeps its flow open, still
 * emitting barriers for later checkpoints, until the final checkpoint's
 * barrier: only then does the flow complete, so aligned inputs downstream
 * never wait for a barrier that cannot come.
 */
export class SourceTask<T> implements BarrierInjector {
  readonly flow: Flow<T>;
  private readonly reader: SourceReader<T, unknown>;
  private subscriber: Subscriber<T | Marker> | undefined;
  private exhausted = false;
  private closed = false;
  // Fixed when the reader is exhausted or drained: a record it emits after that is dropped, so the
  // position must not move past it, or a resumed job would skip it.
  private finalPosition: { readonly value: unknown } | undefined;

  constructor(
    readonly id: string,
    source: Source<T, Guarantee, Replay>,
    jobId: string,
    restoredPosition: unknown,
    private readonly onExhausted: () => void,
    logger?: Logger,
  ) {
    this.reader = source.createReader({ jobId, taskId: id, restoredPosition, logger });
    this.flow = new Observable<T | Marker>((subscriber) => {
      this.subscriber = subscriber;
      const output: SourceOutput<T> = {
        next: (record) => {
          if (!this.exhausted) subscriber.next(record);
        },
        error: (error) => subscriber.error(error),
        complete: () => this.markExhausted(),
      };
      Promise.resolve()
        .then(() => this.reader.start(output))
        .catch((error: unknown) => subscriber.error(error));
      return () => void this.close();
    });
  }

  /** Whether the reader has no more records (or was told to stop, by a drain). */
  get isExhausted(): boolean {
    return this.exhausted;
  }

  inject(barrier: CheckpointBarrier): unknown {
    const position = this.finalPosition ? this.finalPosition.value : this.reader.position();
    this.subscriber?.next(barrier);
    if (barrier.final) this.subscriber?.complete();
    return position;
  }

  async checkpointComplete(checkpointId: number, position: unknown): Promise<void> {
    await this.reader.checkpointComplete?.(checkpointId, position);
  }

  pause(): void {
    if (!this.exhausted) this.reader.pause();
  }

  resume(): void {
    if (!this.exhausted) this.reader.resume();
  }

  /** Stop reading here, for a drain: the position stays where the last record left it. */
  drain(): void {
    this.reader.pause();
    this.markExhausted();
  }

  /** Release the reader once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
  }

  private markExhausted(): void {
    if (this.exhausted) return;
    this.finalPosition = { value: this.reader.position() };
    this.exhausted = true;
    this.onExhausted();
  }
}
