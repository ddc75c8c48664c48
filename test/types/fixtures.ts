// Sources and sinks with every guarantee, declared only for the type tests (nothing here runs).
import type { Sink, Source } from 'onceflow';

declare function source<G extends 'at-most-once' | 'at-least-once' | 'exactly-once'>(guarantee: G): Source<string, G>;
declare function sink<D extends 'at-most-once' | 'at-least-once' | 'exactly-once', R extends 'at-most-once' | 'at-least-once' | 'exactly-once' = 'at-most-once'>(
  delivers: D,
  requires?: R,
): Sink<string, D, R, false, never, undefined>;
declare function idempotentSink(): Sink<string, 'exactly-once', 'at-least-once', true, never, undefined>;

export const socketLike = source('at-most-once');
export const kafkaLike = source('exactly-once');
export const stdoutLike = sink('at-least-once');
export const twoPhaseCommit = sink('exactly-once', 'exactly-once');
export const cassandraLike = idempotentSink();
