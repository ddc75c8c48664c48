import { open } from 'node:fs/promises';
import type { FlushingSink, SinkWriter } from '../../contracts/sink.js';
import { ConfigurationError } from '../../errors.js';
import { defaultLineFormat } from '../shared/format.js';
import { BufferedFileWriter } from '../shared/buffered-writer.js';
import { FileWriteError } from './errors.js';

/** Options of {@link fileSink}. */
export interface FileSinkOptions<T> {
  /** The file to append to; created if missing (its directory must exist). */
  readonly path: string;
  /** Turns a record into its line (without the newline). Default: strings as they are, anything else as JSON. */
  readonly format?: (record: T) => string;
  /** Bytes gathered in memory before they are written. Default 65 536. */
  readonly bufferSize?: number;
}

/**
 * Appends one line per record to a file, at-least-once: each barrier writes
 * what is buffered and fsyncs the file, and a restart appends again whatever
 * came after the last checkpoint, so a crash can leave duplicates (and a torn
 * last line) but never loses a checkpointed record.
 */
export function fileSink<T>(options: FileSinkOptions<T>): FlushingSink<T, 'at-least-once'> {
  const { path, bufferSize = 65_536 } = options;
  if (typeof path !== 'string' || path.length === 0) throw new ConfigurationError('fileSink path must be a non-empty string');
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new ConfigurationError(`fileSink bufferSize must be a whole number >= 1, got ${bufferSize}`);
  const format = options.format ?? defaultLineFormat;
  return {
    name: 'file',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    createWriter: async () => {
      let handle;
      try {
        handle = await open(path, 'a');
      } catch (cause) {
        throw new FileWriteError(path, cause);
      }
      return new FileSinkWriter(new BufferedFileWriter(handle, bufferSize, (_operation, cause) => new FileWriteError(path, cause)), format);
    },
  };
}

class FileSinkWriter<T> implements SinkWriter<T> {
  constructor(
    private readonly file: BufferedFileWriter,
    private readonly format: (record: T) => string,
  ) {}

  write(record: T): void | Promise<void> {
    return this.file.write(Buffer.from(`${this.format(record)}\n`, 'utf8'));
  }

  async flush(): Promise<void> {
    await this.file.persist();
  }

  close(): Promise<void> {
    return this.file.abandon();
  }
}
