import type { FetchResult, Source, SourceSplit, SplitAssignment, SplitReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';
import { staticSplitEnumerator } from '../shared/enumerators.js';
import type { StaticEnumeratorState } from '../shared/enumerators.js';

/** Options of {@link collectionSource}. */
export interface CollectionSourceOptions {
  /** Records a fetch returns. Smaller fetches let other sources and barriers in more often. Default 1024. */
  readonly chunkSize?: number;
}

/** The one split of a collection source. */
export interface CollectionSplit extends SourceSplit {
  readonly splitId: 'collection';
}

const split: CollectionSplit = { splitId: 'collection' };
const nothing: FetchResult<never, number> = { batches: [], finished: [] };

/**
 * Emits the elements of an array, exactly-once: the array is one split whose
 * position in a checkpoint is the index of the next element, so a restored job
 * continues right after the last record the checkpoint covers.
 */
export function collectionSource<T>(
  items: readonly T[],
  options: CollectionSourceOptions = {},
): Source<T, 'exactly-once', 'deterministic', CollectionSplit, number, StaticEnumeratorState<CollectionSplit>> {
  const chunkSize = options.chunkSize ?? 1024;
  if (!Array.isArray(items)) throw new ConfigurationError('collectionSource() takes an array');
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigurationError(`collectionSource chunkSize must be a whole number >= 1, got ${chunkSize}`);
  return {
    name: 'collection',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => [split]),
    createReader: () => new CollectionReader(items, chunkSize),
  };
}

class CollectionReader<T> implements SplitReader<T, CollectionSplit, number> {
  // The next index to fetch; undefined until the split is assigned.
  private index: number | undefined;

  constructor(
    private readonly items: readonly T[],
    private readonly chunkSize: number,
  ) {}

  addSplits(assignments: readonly SplitAssignment<CollectionSplit, number>[]): void {
    for (const { position = 0 } of assignments) {
      if (!Number.isInteger(position) || position < 0 || position > this.items.length) {
        throw new ConfigurationError(`collectionSource restored at index ${position}, but the collection has ${this.items.length} elements: was it changed?`);
      }
      this.index = position;
    }
  }

  async fetch(): Promise<FetchResult<T, number>> {
    const start = this.index;
    if (start === undefined) return nothing;
    const end = Math.min(this.items.length, start + this.chunkSize);
    this.index = end;
    const finished = end === this.items.length ? [split.splitId] : [];
    if (end === start) return { batches: [], finished };
    return { batches: [{ splitId: split.splitId, records: this.items.slice(start, end), positionAfter: (i) => start + i + 1 }], finished };
  }

  wakeUp(): void {}

  close(): void {
    this.index = undefined;
  }
}
