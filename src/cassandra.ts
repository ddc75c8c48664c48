// `onceflow/cassandra`: the Cassandra sink, kept out of the main entry point so that
// `import 'onceflow'` works without cassandra-driver installed (it is an optional peer).
export { cassandraSink } from './connectors/cassandra/sink.js';
export type { CassandraSinkOptions, CassandraBatchingOptions, CassandraWriteAheadOptions, CassandraWriteAheadCommittable } from './connectors/cassandra/sink.js';
export { cassandraStatement, notIdempotentBecause } from './connectors/cassandra/statement.js';
export type { CassandraStatement, CassandraStatementOptions, CassandraValues, IdempotentQueryCheck } from './connectors/cassandra/statement.js';
export { CassandraWriteError, CassandraCommitterError, isTransientCassandraError } from './connectors/cassandra/errors.js';
