import { messageOf, OnceflowError } from '../../errors.js';

/** A part file could not be created, written, synced, truncated, renamed, listed or deleted. */
export class RollingFileError extends OnceflowError {
  override readonly name = 'RollingFileError';
  constructor(
    /** What was being done: `create`, `write`, `sync`, `truncate`, `rename`, `list`, `delete`, `stat`. */
    readonly operation: string,
    /** The file or directory, as the backend names it (`/data/out/...`, `webhdfs://host:port/...`). */
    readonly path: string,
    cause: unknown,
    retriable: boolean,
  ) {
    super(`rolling file sink cannot ${operation} ${path}: ${messageOf(cause)}`, { cause, retriable });
  }
}

/**
 * A part file that a completed checkpoint counts on is gone: neither its
 * pending nor its finished name exists and the checkpoint was never committed
 * (commit), or neither its in-progress nor its pending name (restore), or it
 * is shorter than the length the checkpoint stored. Its records cannot be
 * recovered by a retry.
 */
export class MissingPartFileError extends OnceflowError {
  override readonly name = 'MissingPartFileError';
  constructor(
    message: string,
    /** The part file that is missing. */
    readonly path: string,
  ) {
    super(message, { retriable: false });
  }
}
