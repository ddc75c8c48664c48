import type { CommitRequest, Committer } from '../contracts/sink.js';
import { CommitFailedError, isRetriable, messageOf } from '../errors.js';

/** How often, and after how long, requests a committer asked to retry later are handed over again. */
export interface CommitRetryOptions {
  /** Retries of one request before the commit fails (retriably: a restart commits it again). */
  readonly maxRetries: number;
  /** Delay in ms before retry `retry` (1 for the first). */
  readonly delay: (retry: number) => number;
  /** Whether the job is going down: stop retrying. */
  readonly abandoned: () => boolean;
}

type Outcome = { readonly kind: 'committed' } | { readonly kind: 'already' } | { readonly kind: 'retry' } | { readonly kind: 'known'; readonly error: unknown } | { readonly kind: 'unknown'; readonly error: unknown };

class Request<C> implements CommitRequest<C> {
  outcome: Outcome = { kind: 'committed' };
  constructor(
    readonly committable: C,
    readonly checkpointId: number,
    readonly retries: number,
  ) {}
  retryLater(): void {
    this.outcome = { kind: 'retry' };
  }
  signalAlreadyCommitted(): void {
    this.outcome = { kind: 'already' };
  }
  signalFailedWithKnownReason(error: unknown): void {
    this.outcome = { kind: 'known', error };
  }
  signalFailedWithUnknownReason(error: unknown): void {
    this.outcome = { kind: 'unknown', error };
  }
}

/** What {@link commitAll} did. */
export interface CommitSummary {
  readonly committed: number;
  /** Requests the committer found committed already: a replay after a crash. */
  readonly alreadyCommitted: number;
}

/**
 * Hand `committables` of checkpoint `checkpointId` to `committer` as commit
 * requests, hand over again those it asks to retry later (with backoff), and
 * fail with a {@link CommitFailedError} on the first that failed: not
 * retriable for a known reason, retriable otherwise, since a restart commits
 * the restored checkpoint's committables again.
 */
export async function commitAll<C>(committer: Committer<C>, committables: readonly C[], checkpointId: number, options: CommitRetryOptions): Promise<CommitSummary> {
  let committed = 0;
  let alreadyCommitted = 0;
  let pending = committables.map((committable) => new Request(committable, checkpointId, 0));
  while (pending.length > 0) {
    try {
      await committer.commit(pending);
    } catch (cause) {
      throw new CommitFailedError(`committing checkpoint ${checkpointId} failed: ${messageOf(cause)}`, checkpointId, { cause, retriable: isRetriable(cause) });
    }
    const retry: Request<C>[] = [];
    for (const request of pending) {
      const { outcome } = request;
      if (outcome.kind === 'committed') committed++;
      else if (outcome.kind === 'already') alreadyCommitted++;
      else if (outcome.kind === 'retry') retry.push(request);
      else {
        const known = outcome.kind === 'known';
        throw new CommitFailedError(
          `committing checkpoint ${checkpointId} failed${known ? '' : ' unexpectedly'}: ${messageOf(outcome.error)}`,
          checkpointId,
          { cause: outcome.error, retriable: !known },
        );
      }
    }
    const retries = (retry[0]?.retries ?? 0) + 1;
    if (retry.length > 0 && retries > options.maxRetries) {
      throw new CommitFailedError(`${retry.length} committable(s) of checkpoint ${checkpointId} were still not committed after ${options.maxRetries} retries`, checkpointId, {
        retriable: true,
      });
    }
    if (retry.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.delay(retries)));
      if (options.abandoned()) throw new CommitFailedError(`the job stopped while checkpoint ${checkpointId} waited to retry its commit`, checkpointId, { retriable: true });
    }
    pending = retry.map((request) => new Request(request.committable, checkpointId, request.retries + 1));
  }
  return { committed, alreadyCommitted };
}
