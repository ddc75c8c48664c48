/**
 * Where the runtime reports how far a source's readers are in each split (a
 * file, a Kafka partition, a Kinesis shard). A split reader that knows its lag
 * (a partition's end offset minus its position, a shard's `MillisBehindLatest`)
 * hands it to the runtime with its records; the runtime passes it on here.
 */
export interface SplitMetricsReporter {
  /** The reader of `splitId` in source `sourceId` is at `position`, `lag` behind the end of the split where the system knows it. */
  splitPosition(sourceId: string, splitId: string, position: unknown, lag?: number): void;
  /** The split was finished or handed to another reader: stop reporting it. */
  splitRemoved(sourceId: string, splitId: string): void;
}
