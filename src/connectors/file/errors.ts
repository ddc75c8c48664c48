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

/** An operating-system error on a path; retriable when the condition may clear up (see {@link isTransientIoError}). */
abstract class PathError extends OnceflowError {
  constructor(
    /** The path that failed. */
    readonly path: string,
    action: string,
    cause: unknown,
  ) {
    super(`cannot ${action} ${path}: ${messageOf(cause)}`, { cause, retriable: isTransientIoError(cause) });
  }
}

/** A file or directory could not be read (missing, not permitted, not a directory...). */
export class FileReadError extends PathError {
  override readonly name = 'FileReadError';
  constructor(path: string, cause: unknown) {
    super(path, 'read', cause);
  }
}

/** A file could not be written, flushed or synced (full disk, permission, missing directory...). */
export class FileWriteError extends PathError {
  override readonly name = 'FileWriteError';
  constructor(path: string, cause: unknown) {
    super(path, 'write', cause);
  }
}

/**
 * A file the source was reading, or had stored a position in, shrank below
 * that position, was replaced by another file, or disappeared: replaying it
 * would not give the records the checkpoint counted, so the job stops.
 */
export class FileChangedError extends OnceflowError {
  override readonly name = 'FileChangedError';
  constructor(
    message: string,
    /** The file that changed. */
    readonly path: string,
  ) {
    super(message, { retriable: false });
  }
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
