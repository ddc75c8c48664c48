import type { FlushingSink, SinkWriter, SinkWriterContext } from '../../contracts/sink.js';

/**
 * A flushing sink whose writes are idempotent or not, as its options decide (a Redis mapper, a
 * Cassandra statement, Elasticsearch documents with or without ids). Idempotent writes make a
 * replay write what the first try wrote, so the sink is exactly-once for a stream deterministic
 * on replay (`deterministicOnly`); other writes apply again: at-least-once. The connector's
 * overloads give the literal types; this is the one place the rule is written down.
 */
export function idempotentFlushingSink<T>(
  name: string,
  idempotent: boolean,
  createWriter: (context: SinkWriterContext<undefined>) => SinkWriter<T> | Promise<SinkWriter<T>>,
): FlushingSink<T, 'at-least-once' | 'exactly-once', 'at-most-once', boolean> {
  return {
    name,
    kind: 'flushing',
    guarantee: idempotent ? 'exactly-once' : 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: idempotent,
    createWriter,
  };
}
