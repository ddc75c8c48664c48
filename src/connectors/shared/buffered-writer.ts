import type { FileHandle } from 'node:fs/promises';

/**
 * An open file written through an in-memory buffer, for sinks that make their
 * writes durable at checkpoint barriers. Failures go through `fail`, which
 * turns them into the sink's own error class.
 */
export class BufferedFileWriter {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly bufferSize: number,
    private readonly fail: (operation: 'write' | 'sync', cause: unknown) => Error,
  ) {}

  /** Append bytes; returns a promise when the buffer is full and being written. */
  write(bytes: Uint8Array): void | Promise<void> {
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= this.bufferSize) return this.flush();
  }

  /** Write the buffer and fsync the file. */
  async persist(): Promise<void> {
    await this.flush();
    try {
      await this.handle.sync();
    } catch (cause) {
      throw this.fail('sync', cause);
    }
  }

  /** Persist, then close. */
  async close(): Promise<void> {
    try {
      await this.persist();
    } finally {
      await this.handle.close();
    }
  }

  /** Close, dropping the buffer: what it held was not covered by a checkpoint and is written again after a restore. */
  async abandon(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    let remaining = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    try {
      // A write may be partial (a disk filling up mid-way): what is left must be written or reported.
      while (remaining.length > 0) {
        const { bytesWritten } = await this.handle.write(remaining);
        remaining = remaining.subarray(bytesWritten);
      }
    } catch (cause) {
      throw this.fail('write', cause);
    }
  }
}
