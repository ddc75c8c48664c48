import type { FlushingSink } from '../contracts/sink.js';

/** A flushing sink that keeps what it was given. */
export interface CollectingSink<T> extends FlushingSink<T, 'at-least-once'> {
  /** Every record written, in order, duplicates after a restart included. */
  readonly written: T[];
}

/** Options of {@link collectingSink}. */
export interface CollectingSinkOptions {
  /** Take a turn of the event loop for each write, so records queue behind it and flow control pauses the sources. Default false. */
  readonly slow?: boolean;
}

/**
 * An at-least-once sink into memory that keeps every record written, for
 * tests that look at what a job delivered (duplicates included) or that need
 * a slow sink. For exactly-once output use `memorySink`.
 */
export function collectingSink<T>(options: CollectingSinkOptions = {}): CollectingSink<T> {
  const written: T[] = [];
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    name: 'collect',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    written,
    createWriter: () => ({
      write(record: T) {
        written.push(record);
        if (options.slow) return turn();
      },
      flush() {},
      close() {},
    }),
  };
}
