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
