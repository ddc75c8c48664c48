/**
 * Processing guarantees, ordered `at-most-once < at-least-once < exactly-once`.
 *
 * Every source, operator and sink carries one as a type parameter; the
 * guarantee of a whole job is the weakest of its parts, computed by the
 * compiler so that a pipeline that cannot deliver what it declares does not
 * typecheck.
 */
export type Guarantee = 'at-most-once' | 'at-least-once' | 'exactly-once';

/** Every guarantee, weakest first. */
export const guarantees: readonly Guarantee[] = ['at-most-once', 'at-least-once', 'exactly-once'];

/** The weaker of two guarantees. */
export type Weakest<A extends Guarantee, B extends Guarantee> = A extends 'at-most-once'
  ? A
  : B extends 'at-most-once'
    ? B
    : A extends 'at-least-once'
      ? A
      : B extends 'at-least-once'
        ? B
        : 'exactly-once';

/** `true` when `G` is at least as strong as `Needed`. */
export type Satisfies<G extends Guarantee, Needed extends Guarantee> = Weakest<G, Needed> extends Needed ? true : false;

/** Runtime counterpart of {@link Weakest}. */
export function weakest<A extends Guarantee, B extends Guarantee>(a: A, b: B): Weakest<A, B> {
  return (guarantees.indexOf(a) <= guarantees.indexOf(b) ? a : b) as Weakest<A, B>;
}

/** Runtime counterpart of {@link Satisfies}. */
export function satisfies(guarantee: Guarantee, needed: Guarantee): boolean {
  return guarantees.indexOf(guarantee) >= guarantees.indexOf(needed);
}

/**
 * Whether a stream produces the same records, in the same order, when it is
 * replayed from a checkpoint. Sinks whose exactly-once rests on idempotent
 * writes (Cassandra upserts) deliver it only for deterministic streams.
 */
export type Replay = 'deterministic' | 'nondeterministic';

/** `nondeterministic` if either side is. */
export type BothReplay<A extends Replay, B extends Replay> = A extends 'nondeterministic' ? A : B;

/**
 * A type that no value has, whose name carries a sentence: an argument that
 * breaks a guarantee rule is intersected with it, so the compiler's error
 * message quotes the rule (`... is not assignable to GuaranteeViolation<"sink
 * needs exactly-once input but the stream is at-most-once">`).
 */
export interface GuaranteeViolation<Message extends string> {
  readonly __guaranteeViolation: Message;
}
