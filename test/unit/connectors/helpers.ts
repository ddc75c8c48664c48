// Drives source readers and sink writers directly, without a job, so tests can
// stop and restore them at chosen points.
import type { Guarantee, Source, SourceReader } from 'onceflow';

/** What a reader emitted, with the position after each record. */
export interface Drained<T, P> {
  readonly records: T[];
  readonly positions: P[];
  readonly error: unknown;
  readonly completed: boolean;
}

/** Start a reader of `source` (restored at `position`) and collect what it emits until it completes or fails. */
export async function drain<T, P = unknown>(source: Source<T, Guarantee>, position?: P): Promise<Drained<T, P>> {
  const reader = source.createReader({ jobId: 'test', taskId: '0-test', restoredPosition: position });
  const records: T[] = [];
  const positions: P[] = [];
  const result = await new Promise<Drained<T, P>>((resolve) => {
    void reader.start({
      next(record) {
        records.push(record);
        // Right after a record and before the next is a point between records, where the runtime may ask.
        positions.push(reader.position() as P);
      },
      error: (error) => resolve({ records, positions, error, completed: false }),
      complete: () => resolve({ records, positions, error: undefined, completed: true }),
    });
  });
  await reader.close();
  return result;
}

/** Start a reader that pauses itself after `count` records; `ended` settles with how it ends once resumed. */
export function startPausedAfter<T>(source: Source<T, Guarantee>, count: number): { reader: SourceReader<T, unknown>; records: T[]; ended: Promise<unknown> } {
  const reader = source.createReader({ jobId: 'test', taskId: '0-test', restoredPosition: undefined });
  const records: T[] = [];
  const ended = new Promise<unknown>((resolve) => {
    void reader.start({
      next(record) {
        records.push(record);
        if (records.length === count) reader.pause();
      },
      error: resolve,
      complete: () => resolve('completed'),
    });
  });
  return { reader, records, ended };
}
