/**
 * A file system the rolling file sink can write part files to. Paths are
 * absolute and `/`-separated. Every failure is a {@link RollingFileError}
 * carrying the path and the cause.
 */
export interface RollingFileBackend {
  /** Short name, for messages. */
  readonly name: string;
  /** Create a file (replacing any file of that name) and its parent directories, open for writing. */
  create(path: string): Promise<PartFileWriter>;
  /** Cut an existing file to `length` bytes, dropping what was written after a checkpoint, and open it for appending. */
  resume(path: string, length: number): Promise<PartFileWriter>;
  /** The file's size in bytes, or `undefined` when there is no such file. */
  size(path: string): Promise<number | undefined>;
  /** Rename a file; `to` does not exist. Durable when it resolves. */
  rename(from: string, to: string): Promise<void>;
  /** Delete a file; nothing happens when it does not exist. */
  delete(path: string): Promise<void>;
  /** Every file under `directory`, at any depth, relative to it and `/`-separated; `[]` when the directory does not exist. */
  list(directory: string): Promise<string[]>;
}

/** An open part file. */
export interface PartFileWriter {
  /** Append bytes; a returned promise holds back the next write (the writer's buffer is being flushed). */
  write(bytes: Uint8Array): void | Promise<void>;
  /** Make everything written so far durable: after a crash the file holds at least those bytes. */
  persist(): Promise<void>;
  /** Persist and release the file. */
  close(): Promise<void>;
  /** Release the file without persisting (the job is going down; a restore truncates what was not persisted). */
  abandon(): Promise<void>;
}
