import type { Source, SourceOutput, SourceReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';

/** Options of {@link collectionSource}. */
export interface CollectionSourceOptions {
  /** Records emitted before yielding to the event loop (so timers, barriers and I/O get their turn). Default 1024. */
  readonly chunkSize?: number;
}

/**
 * Emits the elements of an array, exactly-once: its position in a checkpoint
 * is the index of the next element, so a restored job continues right after
 * the last record the checkpoint covers.
 */
export function collectionSource<T>(items: readonly T[], options: CollectionSourceOptions = {}): Source<T, 'exactly-once', 'deterministic'> {
  const chunkSize = options.chunkSize ?? 1024;
  if (!Array.isArray(items)) throw new ConfigurationError('collectionSource() takes an array');
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigurationError(`collectionSource chunkSize must be a whole number >= 1, got ${chunkSize}`);
  return {
    name: 'collection',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createReader: ({ restoredPosition: restored }) => new CollectionReader(items, (restored as number | undefined) ?? 0, chunkSize),
  };
}

class CollectionReader<T> implements SourceReader<T, number> {
  private paused = false;
  private closed = false;
  private scheduled = false;
  private output: SourceOutput<T> | undefined;

  constructor(
    private readonly items: readonly T[],
    private index: number,
    private readonly chunkSize: number,
  ) {
    if (!Number.isInteger(index) || index < 0 || index > items.length) {
      throw new ConfigurationError(`collectionSource restored at index ${index}, but the collection has ${items.length} elements: was it changed?`);
    }
  }

  start(output: SourceOutput<T>): void {
    this.output = output;
    this.schedule();
  }

  position(): number {
    return this.index;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  close(): void {
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled || !this.output) return;
    this.scheduled = true;
    setImmediate(() => this.emitChunk());
  }

  private emitChunk(): void {
    this.scheduled = false;
    const output = this.output;
    if (!output) return;
    const { items } = this;
    const end = Math.min(items.length, this.index + this.chunkSize);
    while (this.index < end && !this.paused && !this.closed) {
      output.next(items[this.index++] as T);
    }
    if (this.closed) return;
    if (this.index >= items.length) output.complete();
    else if (!this.paused) this.schedule();
  }
}
