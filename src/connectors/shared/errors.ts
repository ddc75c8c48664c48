import { messageOf, OnceflowError } from '../../errors.js';

// Codes for conditions that can clear up by themselves (a full disk freed, a
// transient device or descriptor shortage); everything else (missing path,
// permission, wrong kind of file) fails the same way every time.
const transientCodes = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ETIMEDOUT']);

/** Whether an operating-system I/O error may go away if the action is retried. */
export function isTransientIoError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && transientCodes.has(code);
}

/** A strict decoder rejected a record. Retrying reads the same bytes, so it is not retriable. */
export class MalformedRecordError extends OnceflowError {
  override readonly name = 'MalformedRecordError';
  constructor(
    /** The file holding the record (`tcp://host:port` for a socket). */
    readonly path: string,
    /** Byte offset of the record's first byte (in the file, or in the connection's stream). */
    readonly offset: number,
    cause: unknown,
  ) {
    super(`malformed record in ${path} at byte ${offset}: ${messageOf(cause)}`, { cause, retriable: false });
  }
}

/**
 * A line is longer than the connector's `maxLineLength`. The line splitter
 * throws it without a location; the connector names the file or peer and the
 * byte offset of the line's start with {@link LineTooLongError.at}. Reading
 * again meets the same line, so it is not retriable.
 */
export class LineTooLongError extends OnceflowError {
  override readonly name = 'LineTooLongError';
  constructor(
    /** The bound the line went past, in bytes. */
    readonly maxLineLength: number,
    /** The file holding the line (`tcp://host:port` for a socket), once known. */
    readonly path?: string,
    /** Byte offset of the line's first byte (in the file, or in the connection's stream), once known. */
    readonly offset?: number,
  ) {
    const where = path === undefined ? 'a line' : `the line at byte ${offset ?? '?'} of ${path}`;
    super(`${where} is longer than maxLineLength (${maxLineLength} bytes): raise the connector's maxLineLength option, or fix the input`, { retriable: false });
  }

  /** The same error, naming where the line starts. */
  at(path: string, offset: number): LineTooLongError {
    return new LineTooLongError(this.maxLineLength, path, offset);
  }
}
