import type { CommitRequest, CommittingSink, SinkWriterContext } from '../contracts/sink.js';
import { ResumeWouldDuplicateError } from '../errors.js';

/** A prepared transaction of {@link memorySink}. */
export interface MemoryTransaction<T> {
  readonly transactionId: string;
  readonly records: readonly T[];
}

/** A two-phase-commit sink into memory, with what it committed and what it saw. */
export interface MemorySink<T> extends CommittingSink<T, 'exactly-once', 'exactly-once', false, MemoryTransaction<T>, undefined> {
  /** Records of committed transactions, in commit order: what a reader of the sink would see. */
  readonly committed: T[];
  /** Every record any writer was given, committed or not. */
  readonly written: T[];
  /** How many times a commit arrived for a transaction already committed (recovery re-commits). */
  readonly recommits: number;
}

/**
 * An exactly-once sink that keeps everything in this process: each checkpoint
 * is a transaction that becomes visible in {@link MemorySink.committed} only
 * when the checkpoint completes; commits are idempotent by transaction id.
 * Like a transactional sink with a committer table, it knows which
 * checkpoints it committed: a writer restored from an older checkpoint than
 * the newest committed refuses with a `ResumeWouldDuplicateError` (unless
 * `replayCommittedOutput`). For tests of pipelines and of the checkpoint
 * machinery itself.
 */
export function memorySink<T>(): MemorySink<T> {
  // Committed transaction ids, with the checkpoint whose completion committed them.
  const committedIds = new Map<string, number>();
  const sink = {
    name: 'memory',
    guarantee: 'exactly-once' as const,
    requires: 'exactly-once' as const,
    deterministicOnly: false as const,
    kind: 'committing' as const,
    committed: [] as T[],
    written: [] as T[],
    recommits: 0,
    createWriter: ({ jobId, taskId, restoredCheckpointId, replayCommittedOutput }: SinkWriterContext<undefined>) => {
      const newestCommitted = Math.max(0, ...committedIds.values());
      if (newestCommitted > restoredCheckpointId) {
        if (!replayCommittedOutput) {
          throw new ResumeWouldDuplicateError(
            `memorySink committed the output of checkpoint ${newestCommitted} of job '${jobId}', but the job resumes from ${restoredCheckpointId > 0 ? `checkpoint ${restoredCheckpointId}` : 'scratch'}; ` +
              'going on would write that output again. Bring the newer checkpoints back, or set checkpoints.replayCommittedOutput: true to accept that.',
            newestCommitted,
            restoredCheckpointId,
          );
        }
        // Replayed on purpose: the transactions after the restored checkpoint are committed again when they come back.
        for (const [id, checkpointId] of committedIds) if (checkpointId > restoredCheckpointId) committedIds.delete(id);
      }
      let open: T[] = [];
      return {
        write(record: T): void {
          open.push(record);
          sink.written.push(record);
        },
        prepareCommit(checkpointId: number): MemoryTransaction<T>[] {
          const transaction = { transactionId: `${taskId}-${checkpointId}`, records: open };
          open = [];
          return transaction.records.length > 0 ? [transaction] : [];
        },
        close(): void {},
      };
    },
    createCommitter: () => ({
      async commit(requests: readonly CommitRequest<MemoryTransaction<T>>[]): Promise<void> {
        for (const request of requests) {
          const { committable: t, checkpointId } = request;
          if (committedIds.has(t.transactionId)) {
            sink.recommits++;
            request.signalAlreadyCommitted();
            continue;
          }
          committedIds.set(t.transactionId, checkpointId);
          // Not push(...records): a large transaction would overflow the call stack with arguments.
          for (const record of t.records) sink.committed.push(record);
        }
      },
    }),
  };
  return sink;
}
