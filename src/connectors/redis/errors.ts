import { OnceflowError } from '../../errors.js';

// Replies that say "not now" rather than "never": a loading replica, a busy script, a cluster resharding or down.
const transientReplies = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK)\b/;

/** Whether a Redis failure may clear up: a lost connection or a transient reply; an error reply (WRONGTYPE, a syntax error) never does. */
export function isTransientRedisError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name === 'ReplyError') return transientReplies.test(error.message);
  return true;
}

/** Redis refused a command, or could not be reached for it. */
export class RedisCommandError extends OnceflowError {
  override readonly name = 'RedisCommandError';
  constructor(
    /** The command, as `SET`. */
    readonly command: string,
    /** The key (or channel) it was for. */
    readonly key: string,
    cause: unknown,
  ) {
    super(`Redis ${command} of key '${key}' failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retriable: isTransientRedisError(cause) });
  }
}
