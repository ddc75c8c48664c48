// Drives sources directly, without a job, so tests can checkpoint and restore them at chosen records.
import type { FilePosition, Guarantee, Source } from 'onceflow';
import { readSource } from 'onceflow/testing';
import type { SourceCheckpoint } from 'onceflow/testing';

/** What a source emitted, with its checkpoint after each record. */
export interface Drained<T> {
  readonly records: T[];
  readonly checkpoints: SourceCheckpoint[];
  readonly error: unknown;
  readonly completed: boolean;
}

/** Run `source` (restored from `restored`) until it is exhausted or fails, checkpointing after every record. */
export async function drain<T>(source: Source<T, Guarantee>, restored?: SourceCheckpoint): Promise<Drained<T>> {
  const read = await readSource(source, { checkpointEachRecord: true, ...(restored ? { restored } : {}) });
  return { ...read, completed: read.error === undefined };
}

/** The position of the file a file source's checkpoint is in the middle of. */
export function filePosition(checkpoint: SourceCheckpoint | undefined): FilePosition | undefined {
  return checkpoint?.splits[0]?.position as FilePosition | undefined;
}
