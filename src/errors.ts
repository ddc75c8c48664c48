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

/** The message of an error, or the thrown value as text: what error messages and log lines quote of a cause. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
 */
export class StoreUnresponsiveError extends OnceflowError {
  override readonly name = 'StoreUnresponsiveError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: false });
  }
}
