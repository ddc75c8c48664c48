/**
 * Errors onceflow raises, as named classes. `retriable` says whether doing
 * the same thing again may succeed (a dropped connection) or never will (bad
 * configuration), which is what restart strategies and connector retries read.
 */
export class OnceflowError extends Error {
  override readonly name: string = 'OnceflowError';
  /** Whether retrying the failed action may succeed. */
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}

/**
 * Whether retrying what failed may succeed, read as kafkajs reads it: the
 * first `retriable` flag along the error's cause chain decides. An error that
 * says nothing (a plain `Error` from a library) counts as retriable, as the
 * restart loop has always treated it: a restart may well get past it, and the
 * restart strategy bounds how often.
 */
export function isRetriable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== null && typeof current === 'object' && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const flag = (current as { retriable?: unknown }).retriable;
    if (typeof flag === 'boolean') return flag;
  }
  return true;
}

/** The message of an error, or the thrown value as text: what error messages and log lines quote of a cause. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `text` with credentials masked: the password of a URL (`redis://user:***@host`)
 * and the value of query parameters named like a secret (`?token=***`). Whatever
 * onceflow shows outside the process (the monitor page, its JSON API) goes through it.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):([^\s/?#@]+)@/gi, '$1$2:***@')
    .replace(/([?&;][\w.-]*(?:password|passwd|pwd|secret|token|api_?key|signature|credential)[\w.-]*=)[^&;\s#"']*/gi, '$1***');
}

/** Options or a pipeline that cannot work as given. Never retriable. */
export class ConfigurationError extends OnceflowError {
  override readonly name = 'ConfigurationError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** A checkpoint was discarded: it timed out or a participant declined it. */
export class CheckpointFailedError extends OnceflowError {
  override readonly name = 'CheckpointFailedError';
  constructor(
    message: string,
    /** The checkpoint that was discarded. */
    readonly checkpointId: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, { ...options, retriable: true });
  }
}

/** A stored checkpoint failed its checksum or could not be decoded. */
export class CorruptCheckpointError extends OnceflowError {
  override readonly name = 'CorruptCheckpointError';
  constructor(
    message: string,
    /** Where the checkpoint was read from. */
    readonly location: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { ...options, retriable: false });
  }
}

/** A completed checkpoint's committables could not be committed. */
export class CommitFailedError extends OnceflowError {
  override readonly name = 'CommitFailedError';
  constructor(
    message: string,
    /** The checkpoint whose commit failed. */
    readonly checkpointId: number,
    options: { cause?: unknown; retriable: boolean },
  ) {
    super(message, options);
  }
}

/** A job failed and its restart strategy allowed no further attempt. */
export class JobFailedError extends OnceflowError {
  override readonly name = 'JobFailedError';
  constructor(
    message: string,
    /** How many attempts ran, the first one included. */
    readonly attempts: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, { ...options, retriable: false });
  }
}

/**
 * The snapshot store did not answer a save (or the sink's committer a commit)
 * within the checkpoint timeout, even after the job stopped: what the store
 * holds is unknown, so restarting in this process could duplicate output.
 * Start the job again once they answer.
 */
export class StoreUnresponsiveError extends OnceflowError {
  override readonly name = 'StoreUnresponsiveError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** Another runner holds the job's lock in the snapshot store: one job never runs twice against one store. */
export class JobLockedError extends OnceflowError {
  override readonly name = 'JobLockedError';
  constructor(
    message: string,
    /** Who holds the lock, as the store recorded it (`pid 1234 on host a, since ...`). */
    readonly holder: string,
  ) {
    super(message, { retriable: false });
  }
}

/**
 * Resuming the job would write output a second time: an exactly-once sink
 * committed output of a checkpoint newer than the one the job would resume
 * from (the newest checkpoints are corrupt or deleted, or the store has none
 * at all). The message names the user's choices.
 */
export class ResumeWouldDuplicateError extends OnceflowError {
  override readonly name = 'ResumeWouldDuplicateError';
  constructor(
    message: string,
    /** The newest checkpoint saved or committed. */
    readonly newestCheckpointId: number,
    /** The checkpoint the job would resume from; 0 for a start from scratch. */
    readonly resumeFromCheckpointId: number,
  ) {
    super(message, { retriable: false });
  }
}

/**
 * An operator threw. Names the operator and a bounded preview of the record
 * it was given last; `retriable` follows the cause (an ordinary `Error` is
 * retriable, but the same failure at the same place after a restart stops
 * the job: it is deterministic).
 */
export class OperatorError extends OnceflowError {
  override readonly name = 'OperatorError';
  /** Where the record came from (source split and position), when the source runtime can say. */
  position: unknown = undefined;
  constructor(
    message: string,
    /** The operator's id in the job (`2-map`). */
    readonly operatorId: string,
    /** The record it was given last, as bounded text; `undefined` when it had none. */
    readonly recordPreview: string | undefined,
    cause: unknown,
  ) {
    super(message, { cause, retriable: isRetriable(cause) });
  }
}
