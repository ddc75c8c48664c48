// Sources and sinks with every guarantee, declared only for the type tests (nothing here runs),
// and the helpers the type tests share.
import type { Guarantee, GuaranteeViolation, Nondeterministic, Replay, Sink, SinkCheck, Source, Stream } from 'onceflow';

declare function source<G extends Guarantee, R extends Replay = 'deterministic'>(guarantee: G, replay?: R): Source<string, G, R>;
declare function sink<D extends Guarantee, R extends Guarantee = 'at-most-once'>(delivers: D, requires?: R): Sink<string, D, R, false, never, undefined>;
declare function idempotentSink(): Sink<string, 'exactly-once', 'at-least-once', true, never, undefined>;

export const socketLike = source('at-most-once');
export const kafkaLike = source('exactly-once');
/** An exactly-once source whose replay interleaves its splits by timing. */
export const kinesisLike: Source<string, 'exactly-once', Nondeterministic<'kinesis source'>> = source('exactly-once', 'nondeterministic: kinesis source');
export const stdoutLike = sink('at-least-once');
export const twoPhaseCommit = sink('exactly-once', 'exactly-once');
export const cassandraLike = idempotentSink();

/** `true` when A and B are the same type (not merely assignable). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
export function expect<T extends true>(): T | void {}

/** The sentence of a {@link GuaranteeViolation} in `T`, `'no violation'` when there is none. */
export type MessageOf<T> = T extends GuaranteeViolation<infer M> ? M : 'no violation';

/** The check `stream.to(sink)` makes, computed from the types of the two values. */
export type ToCheck<S, K> =
  S extends Stream<infer T, infer G, infer R, infer Need>
    ? K extends Sink<T, infer D, infer Requires, infer DeterministicOnly, infer _C, infer _S>
      ? SinkCheck<G, R, Need, D, Requires, DeterministicOnly>
      : 'not a sink of these records'
    : 'not a stream';

/** The message `stream.to(sink)` fails with, computed from the types of the two values. */
export type ToMessage<S, K> = MessageOf<ToCheck<S, K>>;
