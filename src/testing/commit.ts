import type { Committer } from '../contracts/sink.js';
import { commitAll } from '../runtime/commit.js';
import type { CommitSummary } from '../runtime/commit.js';

export type { CommitSummary } from '../runtime/commit.js';

/**
 * Commit `committables` of checkpoint `checkpointId` with `committer` as the
 * runtime does (commit requests, retried while the committer asks, failing
 * with a `CommitFailedError` whose `cause` is what the committer signalled),
 * for testing a committer on its own.
 */
export function commitWith<C>(committer: Committer<C>, committables: readonly C[], checkpointId: number): Promise<CommitSummary> {
  return commitAll(committer, committables, checkpointId, { maxRetries: 3, delay: () => 1, abandoned: () => false });
}
