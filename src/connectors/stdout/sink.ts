import type { Writable } from 'node:stream';
import type { FlushingSink, SinkWriter } from '../../contracts/sink.js';
import { defaultLineFormat } from '../shared/format.js';

/** Options of {@link stdoutSink}. */
export interface StdoutSinkOptions<T> {
  /** Turns a record into its line (without the newline). Default: strings as they are, anything else as JSON. */
  readonly format?: (record: T) => string;
  /** Where to write. Default `process.stdout`; tests pass their own stream. */
  readonly stream?: Writable;
}

/**
 * Writes one line per record to standard output, at-least-once: each barrier
 * waits until what was written has been handed to the operating system, and a
 * restart after a failure prints again what came after the last checkpoint.
 */
export function stdoutSink<T>(options: StdoutSinkOptions<T> = {}): FlushingSink<T, 'at-least-once'> {
  const format = options.format ?? defaultLineFormat;
  return {
    name: 'stdout',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    createWriter: () => new LineWriter(options.stream ?? process.stdout, format),
  };
}

class LineWriter<T> implements SinkWriter<T> {
  constructor(
    private readonly stream: Writable,
    private readonly format: (record: T) => string,
  ) {}

  write(record: T): void | Promise<void> {
    // Honour the stream's backpressure: a full buffer holds later records (and so pauses the sources).
    if (!this.stream.write(`${this.format(record)}\n`)) return this.drained();
  }

  async flush(): Promise<void> {
    if (this.stream.writableNeedDrain) await this.drained();
    await new Promise<void>((resolve, reject) => this.stream.write('', (error) => (error ? reject(error) : resolve())));
  }

  close(): void {}

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        this.stream.off('drain', onDrain);
        reject(error);
      };
      this.stream.once('drain', onDrain).once('error', onError);
    });
  }
}
