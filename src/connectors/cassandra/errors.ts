import { messageOf, OnceflowError } from '../../errors.js';

// Response codes of the native protocol (cassandra-driver's types.responseErrorCodes) for
// conditions that clear up by themselves: replicas down or slow, a node overloaded or starting,
// a server-side fault. Kept as numbers so this module does not load the driver.
const transientCodes = new Set([
  0x0000, // server error
  0x1000, // unavailable
  0x1001, // overloaded
  0x1002, // bootstrapping
  0x1100, // write timeout
  0x1200, // read timeout
  0x1300, // read failure
  0x1500, // write failure
  0x2500, // unprepared (the server lost its prepared statements: the driver prepares again)
]);
// The driver's own conditions that clear up: no host reachable, a request timed out client-side, every connection busy.
const transientNames = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);

const unknownSchema = /\b(?:keyspace|table) \S+ does not exist|unconfigured table/i;

/** Whether a cassandra-driver error may go away when the statement is sent again. */
export function isTransientCassandraError(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  // A keyspace or table a coordinator does not know yet: schema changes reach the nodes of a
  // cluster one after another, and a node rebuilt empty gets its schema back from a migration.
  if (code === 0x2200 && typeof (error as { message?: unknown }).message === 'string' && unknownSchema.test((error as Error).message)) return true;
  if (typeof code === 'number') return transientCodes.has(code);
  // A value that does not fit its column (TypeError from the driver's encoder), a bad argument: the same every time.
  if (error instanceof TypeError || error instanceof RangeError || name === 'ArgumentError' || name === 'NotSupportedError') return false;
  return typeof name === 'string' && transientNames.has(name);
}

/**
 * Cassandra (or the driver, encoding a value) refused a record's statement.
 * Retriable when the cause is transient (replicas unavailable, timeouts,
 * overload, no host reachable); not when it is the record's or the
 * statement's (a value of the wrong type, invalid CQL, a mutation too large).
 */
export class CassandraWriteError extends OnceflowError {
  override readonly name = 'CassandraWriteError';
  constructor(
    /** The statement's CQL. */
    readonly query: string,
    /** The record, as a bounded preview. */
    readonly record: string,
    cause: unknown,
  ) {
    // The batching base names the record (`entry record {...} was rejected: ...`): the message says what Cassandra said.
    super(`Cassandra refused '${query}': ${messageOf(cause)}`, { cause, retriable: isTransientCassandraError(cause) });
  }
}

/** The write-ahead mode's committer table could not be created, read or written. Retriable as its cause. */
export class CassandraCommitterError extends OnceflowError {
  override readonly name = 'CassandraCommitterError';
  constructor(
    /** The committer table, `keyspace.table`. */
    readonly table: string,
    what: string,
    cause: unknown,
  ) {
    super(`Cassandra committer table ${table}: ${what} failed: ${messageOf(cause)}`, { cause, retriable: isTransientCassandraError(cause) });
  }
}
