import type { Client } from 'cassandra-driver';
import type { GuaranteeViolation } from '../../contracts/guarantee.js';
import type { CommitRequest, CommittingSink, CommittingSinkWriter, FlushingSink, SinkWriter, SinkWriterContext } from '../../contracts/sink.js';
import { ConfigurationError, isRetriable, ResumeWouldDuplicateError } from '../../errors.js';
import { BatchingSinkWriter, jsonPreview } from '../shared/batching-writer.js';
import { idempotentFlushingSink } from '../shared/idempotent-sink.js';
import type { BatchingWriterOptions, RejectedEntry } from '../shared/batching-writer.js';
import { CassandraCommitterError, CassandraWriteError } from './errors.js';
import type { CassandraStatement, CassandraValues } from './statement.js';

/**
 * How the Cassandra sink sends statements, through the batching base:
 * `maxBatchSize` statements go out together (at once, each on its own, or as
 * one CQL batch with `batch`), at most `maxInFlightRequests` such groups at a
 * time; so at most `maxBatchSize * maxInFlightRequests` statements are in flight
 * (defaults 8 and 16: 128).
 */
export type CassandraBatchingOptions = Pick<BatchingWriterOptions<unknown, unknown>, 'maxBatchSize' | 'maxInFlightRequests' | 'maxBufferedEntries' | 'maxTimeInBuffer' | 'retry'>;

/** Options of {@link cassandraSink}. */
export interface CassandraSinkOptions<T, Idempotent extends boolean> extends CassandraBatchingOptions {
  /**
   * A cassandra-driver `Client` (connected, or connecting on first use). The
   * sink never shuts it down: it is yours to `shutdown()` once the job ends.
   */
  readonly client: Client;
  /** The statement each record becomes: {@link cassandraStatement}. */
  readonly statement: CassandraStatement<T, Idempotent>;
  /**
   * Send each group of statements as one CQL batch instead of one request
   * each: `'logged'` (atomic: all or none of the group is applied, at the
   * cost of a batch log write) or `'unlogged'` (one round trip; efficient for
   * statements of one partition). On replay a batch is applied again as a
   * whole, so it is idempotent exactly when its statement is. Default: none.
   */
  readonly batch?: 'logged' | 'unlogged';
  /** Consistency level of the writes (cassandra-driver's `types.consistencies`). Default: the client's. */
  readonly consistency?: number;
}

/** Options of the write-ahead mode of {@link cassandraSink}. */
export interface CassandraWriteAheadOptions {
  /**
   * The committer table, `keyspace.table`, created when missing: one row per
   * job and sink holding the last checkpoint whose records were applied,
   * overwritten by each commit (so no row per checkpoint accumulates).
   */
  readonly committerTable: string;
  /** Consistency level of the committer table's reads and writes. Default `LOCAL_QUORUM`. */
  readonly committerConsistency?: number;
  /**
   * Records held for the next checkpoint at most while a commit is applying
   * the previous one: then `write` waits for that commit, and so, through flow
   * control, do the sources. Default 50 000.
   */
  readonly maxPendingRecords?: number;
}

/** What a checkpoint holds for the write-ahead mode: the records it covers, applied once it completes. */
export interface CassandraWriteAheadCommittable<T> {
  readonly jobId: string;
  readonly sinkId: string;
  /** The checkpoint whose barrier the records came before; several may be committed together after a discarded checkpoint. */
  readonly checkpointId: number;
  readonly records: readonly T[];
}

/** A record with the values its statement binds. */
interface Bound<T> {
  readonly record: T;
  readonly values: CassandraValues;
}

// cassandra-driver's types.consistencies.localQuorum, as a number so this module does not load the driver.
const localQuorum = 6;

const notIdempotentForWriteAhead =
  'the write-ahead mode needs a statement declared idempotent: a checkpoint whose commit was cut short is applied again in full' as const;

/**
 * Writes records to Cassandra with one prepared statement each.
 *
 * By default at-least-once: statements go out concurrently, with a bound on
 * those in flight, and each barrier waits until every one is acknowledged;
 * transient failures (timeouts, unavailable replicas, overload) are retried
 * with backoff, others fail the job naming the record. A restart applies
 * again what came after the last checkpoint. With a statement declared
 * idempotent (an upsert) that is the same write again, so the sink's type
 * says exactly-once for a stream deterministic on replay (`deterministicOnly`),
 * as for the Redis sink's idempotent commands.
 *
 * With `writeAhead`, Flink's write-ahead sink: a checkpoint's records are
 * kept in the checkpoint and applied only once it completes, then the
 * checkpoint id is written to a committer table; a restore hands the
 * restored checkpoint's records over again and the committer applies them
 * unless the table says they were. Rows appear a checkpoint at a time, and a
 * completed checkpoint is never applied again (a TTL, a writetime, a
 * lightweight transaction's condition are not refreshed by a replay). Only an
 * idempotent statement is accepted (a commit cut short is applied again in
 * full), and the type says exactly-once for a deterministic stream. Records
 * are stored in checkpoints, so they must be what the snapshot store's codec
 * keeps (plain data with the default structured-clone codec, JSON with
 * `jsonCodec`; a class instance comes back without its prototype).
 */
export function cassandraSink<T>(options: CassandraSinkOptions<T, true> & { readonly writeAhead?: undefined }): FlushingSink<T, 'exactly-once', 'at-most-once', true>;
export function cassandraSink<T>(options: CassandraSinkOptions<T, false> & { readonly writeAhead?: undefined }): FlushingSink<T, 'at-least-once', 'at-most-once', false>;
export function cassandraSink<T>(options: CassandraSinkOptions<T, boolean> & { readonly writeAhead?: undefined }): FlushingSink<T, 'at-least-once', 'at-most-once', false>;
// Last, so that a statement it refuses gets its message: the compiler reports the last overload's error.
export function cassandraSink<T>(
  options: Omit<CassandraSinkOptions<T, boolean>, 'statement'> & {
    readonly statement: CassandraStatement<T, true> | GuaranteeViolation<typeof notIdempotentForWriteAhead>;
    readonly writeAhead: CassandraWriteAheadOptions;
  },
): CommittingSink<T, 'exactly-once', 'at-most-once', true, CassandraWriteAheadCommittable<T>, undefined>;
export function cassandraSink<T>(
  given: Omit<CassandraSinkOptions<T, boolean>, 'statement'> & { readonly statement: CassandraStatement<T, boolean> | GuaranteeViolation<string>; readonly writeAhead?: CassandraWriteAheadOptions },
): FlushingSink<T, 'at-least-once' | 'exactly-once', 'at-most-once', boolean> | CommittingSink<T, 'exactly-once', 'at-most-once', true, CassandraWriteAheadCommittable<T>, undefined> {
  // A GuaranteeViolation has no values: whatever came is a statement, or the checks below refuse it.
  const options = given as CassandraSinkOptions<T, boolean> & { readonly writeAhead?: CassandraWriteAheadOptions };
  const { client, statement, writeAhead } = options;
  if (typeof client !== 'object' || client === null || typeof client.execute !== 'function') throw new ConfigurationError('cassandraSink client must be a cassandra-driver Client');
  if (typeof statement !== 'object' || statement === null || typeof statement.values !== 'function') {
    throw new ConfigurationError('cassandraSink statement must be made with cassandraStatement({ query, values, idempotent })');
  }
  if (options.batch !== undefined && options.batch !== 'logged' && options.batch !== 'unlogged') {
    throw new ConfigurationError(`cassandraSink batch must be 'logged' or 'unlogged', got ${JSON.stringify(options.batch)}`);
  }
  const createStatementWriter = statementWriters(options);
  if (writeAhead === undefined) return idempotentFlushingSink('cassandra', statement.idempotent, () => createStatementWriter());
  if (!statement.idempotent) throw new ConfigurationError(`cassandraSink writeAhead: ${notIdempotentForWriteAhead}, and '${statement.query}' is declared idempotent: false`);
  const committer = committerTable(client, writeAhead);
  const maxPending = writeAhead.maxPendingRecords ?? 50_000;
  if (!Number.isInteger(maxPending) || maxPending < 1) throw new ConfigurationError(`cassandraSink writeAhead.maxPendingRecords must be a whole number >= 1, got ${maxPending}`);
  // The commit applying a checkpoint now, if any: the writer (of this process) waits on it when it holds too much.
  let applying: Promise<void> | undefined;
  return {
    name: 'cassandra-write-ahead',
    kind: 'committing',
    guarantee: 'exactly-once',
    requires: 'at-most-once',
    deterministicOnly: true,
    async createWriter(context: SinkWriterContext<undefined>): Promise<CommittingSinkWriter<T, CassandraWriteAheadCommittable<T>, undefined>> {
      await committer.refuseStaleResume(context);
      const { jobId, taskId: sinkId } = context;
      let pending: T[] = [];
      return {
        write(record: T) {
          pending.push(record);
          // Only while a commit runs: otherwise the barrier that takes the pending records is behind this write.
          if (pending.length >= maxPending && applying) return applying;
        },
        prepareCommit(checkpointId: number) {
          if (pending.length === 0) return [];
          const records = pending;
          pending = [];
          return [{ jobId, sinkId, checkpointId, records }];
        },
        close() {
          pending = [];
        },
      };
    },
    createCommitter: () => ({
      async commit(requests: readonly CommitRequest<CassandraWriteAheadCommittable<T>>[]) {
        // In checkpoint order: a later checkpoint's id in the table would mark an earlier one applied.
        const ordered = [...requests].sort((a, b) => a.committable.checkpointId - b.committable.checkpointId);
        for (const [at, request] of ordered.entries()) {
          const { jobId, sinkId, checkpointId, records } = request.committable;
          try {
            if ((await committer.lastApplied(jobId, sinkId)) >= checkpointId) {
              request.signalAlreadyCommitted();
              continue;
            }
            const applied = applyAll(createStatementWriter(), records).then(() => committer.markApplied(jobId, sinkId, checkpointId));
            applying = applied.then(
              () => undefined,
              () => undefined,
            );
            try {
              await applied;
            } finally {
              applying = undefined;
            }
          } catch (error) {
            if (!isRetriable(error)) request.signalFailedWithKnownReason(error);
            else if (request.retries < 5) request.retryLater();
            else request.signalFailedWithUnknownReason(error);
            // The ones after it wait: applied first, their id in the table would mark this one applied too.
            for (const later of ordered.slice(at + 1)) later.retryLater();
            return;
          }
        }
      },
    }),
  };
}

/** Writers that send `options.statement` for each record through the batching base. */
function statementWriters<T>(options: CassandraSinkOptions<T, boolean>): () => BatchingSinkWriter<T, Bound<T>> {
  const { client, statement, batch, consistency, ...batching } = options;
  const { query } = statement;
  const queryOptions = { prepare: true, isIdempotent: statement.idempotent, ...(consistency === undefined ? {} : { consistency }) };
  const batchOptions = { ...queryOptions, logged: batch === 'logged' };
  const refused = (entry: Bound<T>, error: unknown): CassandraWriteError => new CassandraWriteError(query, jsonPreview(entry.record), error);
  const submit = async (entries: readonly Bound<T>[]): Promise<readonly RejectedEntry[]> => {
    if (batch) {
      try {
        await client.batch(
          entries.map((entry) => ({ query, params: entry.values as unknown[] })),
          batchOptions,
        );
        return [];
      } catch (error) {
        // The batch is applied as a whole or not at all: every record in it is refused, and the first is named.
        return entries.map((entry, index) => ({ index, error: refused(entry, error) }));
      }
    }
    const results = await Promise.allSettled(entries.map((entry) => client.execute(query, entry.values as unknown[], queryOptions)));
    const rejected: RejectedEntry[] = [];
    results.forEach((result, index) => {
      if (result.status === 'rejected') rejected.push({ index, error: refused(entries[index] as Bound<T>, result.reason) });
    });
    return rejected;
  };
  return () =>
    new BatchingSinkWriter<T, Bound<T>>({
      // 128 statements in flight (executeConcurrent's own default is 100), in small groups: a group's
      // slot frees only once its slowest statement is answered.
      maxBatchSize: 8,
      maxInFlightRequests: 16,
      maxTimeInBuffer: 20,
      ...batching,
      toEntry: (record) => ({ record, values: statement.values(record) }),
      submit,
      // Statements are sent one each (or in a batch of a bounded count): no byte limit applies.
      sizeOf: () => 1,
      describe: (entry) => `record ${jsonPreview(entry.record)}`,
    });
}

/** Write every record through `writer` and wait until Cassandra took them all. */
async function applyAll<T>(writer: SinkWriter<T>, records: readonly T[]): Promise<void> {
  try {
    for (const record of records) await writer.write(record);
    await writer.flush(false);
  } finally {
    await writer.close();
  }
}

/** The write-ahead mode's committer table: the last checkpoint applied, per job and sink. */
function committerTable(client: Client, options: CassandraWriteAheadOptions) {
  const table = options.committerTable;
  if (typeof table !== 'string' || !/^("?)\w+\1\.("?)\w+\2$/.test(table)) {
    throw new ConfigurationError(`cassandraSink writeAhead.committerTable must be 'keyspace.table', got ${JSON.stringify(table)}`);
  }
  const queryOptions = { prepare: true, isIdempotent: true, consistency: options.committerConsistency ?? localQuorum };
  let created: Promise<void> | undefined;
  const ensure = (): Promise<void> =>
    (created ??= client
      .execute(`CREATE TABLE IF NOT EXISTS ${table} (job_id text, sink_id text, checkpoint_id bigint, PRIMARY KEY ((job_id, sink_id)))`)
      .then(
        () => undefined,
        (error: unknown) => {
          created = undefined;
          throw new CassandraCommitterError(table, 'creating it', error);
        },
      ));
  const lastApplied = async (jobId: string, sinkId: string): Promise<number> => {
    await ensure();
    try {
      const result = await client.execute(`SELECT checkpoint_id FROM ${table} WHERE job_id = ? AND sink_id = ?`, [jobId, sinkId], queryOptions);
      const value: unknown = result.first()?.get('checkpoint_id');
      return value === undefined || value === null ? 0 : Number(String(value));
    } catch (error) {
      throw new CassandraCommitterError(table, `reading the last checkpoint of job '${jobId}'`, error);
    }
  };
  const markApplied = async (jobId: string, sinkId: string, checkpointId: number): Promise<void> => {
    await ensure();
    try {
      await client.execute(`INSERT INTO ${table} (job_id, sink_id, checkpoint_id) VALUES (?, ?, ?)`, [jobId, sinkId, checkpointId], queryOptions);
    } catch (error) {
      throw new CassandraCommitterError(table, `recording checkpoint ${checkpointId} of job '${jobId}'`, error);
    }
  };
  return {
    lastApplied,
    markApplied,
    /**
     * A job resuming from an older checkpoint than the table's (its newer ones
     * lost), or starting afresh beside one, would apply records again: refused
     * unless the user said so, and then the table goes back to the restored
     * checkpoint, or the replayed ones would be taken for applied.
     */
    async refuseStaleResume(context: SinkWriterContext<undefined>): Promise<void> {
      const applied = await lastApplied(context.jobId, context.taskId);
      const restored = context.restoredCheckpointId;
      if (applied <= restored) return;
      if (!context.replayCommittedOutput) {
        throw new ResumeWouldDuplicateError(
          `Cassandra committer table ${table} says checkpoint ${applied} of job '${context.jobId}' (sink ${context.taskId}) was applied, but the job ` +
            `${restored === 0 ? 'starts from scratch' : `resumes from checkpoint ${restored}`}: going on would apply the records after it again. ` +
            `Point the job at the snapshot store that holds checkpoint ${applied}, give the job a new id, or set checkpoints.replayCommittedOutput: true to apply them again.`,
          applied,
          restored,
        );
      }
      await markApplied(context.jobId, context.taskId, restored);
    },
  };
}
