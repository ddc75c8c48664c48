// Drives source readers and sink writers directly, without a job, so tests can
// stop and restore them at chosen points.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Guarantee, Source, SourceReader } from 'onceflow';

/** A fresh directory under the system's temporary directory, removed after `body`. */
export async function withTempDir<R>(prefix: string, body: (dir: string) => Promise<R>): Promise<R> {
  const dir = await mkdtemp(join(tmpdir(), `onceflow-${prefix}-`));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a reader emitted, with the position after each record. */
export interface Drained<T, P> {
  readonly records: T[];
  readonly positions: P[];
  readonly error: unknown;
  readonly completed: boolean;
}

/**
 * Start a reader of `source` (restored at `position`) and collect what it
 * emits until it completes, fails, or `limit` records came (then it is paused).
 */
export async function drain<T, P>(source: Source<T, Guarantee, P>, position?: P, limit = Infinity): Promise<Drained<T, P> & { reader: SourceReader<T, P> }> {
  const reader = source.createReader({ jobId: 'test', taskId: '0-test', restoredPosition: position });
  const records: T[] = [];
  const positions: P[] = [];
  return new Promise((resolve) => {
    const done = (error: unknown, completed: boolean): void => resolve({ records, positions, error, completed, reader });
    void reader.start({
      next(record) {
        records.push(record);
        // Right after a record and before the next is a point between records, where the runtime may ask.
        positions.push(reader.position());
        if (records.length === limit) {
          reader.pause();
          setTimeout(() => done(undefined, false), 20);
        }
      },
      error: (error) => done(error, false),
      complete: () => setImmediate(() => done(undefined, true)),
    });
  });
}
