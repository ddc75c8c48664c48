import { messageOf, OnceflowError } from '../../errors.js';
import { isTransientIoError } from '../shared/errors.js';

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
