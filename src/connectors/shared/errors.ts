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
