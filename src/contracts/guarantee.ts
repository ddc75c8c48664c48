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

/**
 * `true` for `any`, which would otherwise pass every check. (Not the usual
 * `0 extends 1 & T`: for a `T` constrained to strings, `1 & T` is reduced to
 * `never` before `T` is known.)
 */
export type IsAny<T> = boolean extends (T extends never ? true : false) ? true : false;

/**
 * What a part *gives* when its guarantee type is not one literal (a union, the
 * wide `Guarantee`, `any`): the weakest it might be.
 */
export type Gives<G extends Guarantee> =
  IsAny<G> extends true
    ? 'at-most-once'
    : 'at-most-once' extends G
      ? 'at-most-once'
      : 'at-least-once' extends G
        ? 'at-least-once'
        : 'exactly-once';

/**
 * What a part *needs* when its guarantee type is not one literal: the
 * strongest it might be.
 */
export type Needs<G extends Guarantee> =
  IsAny<G> extends true
    ? 'exactly-once'
    : 'exactly-once' extends G
      ? 'exactly-once'
      : 'at-least-once' extends G
        ? 'at-least-once'
        : 'at-most-once';

/**
 * The weaker of two guarantees, each counted as what it {@link Gives}.
 *
 * `A` is looked at first, so that when it is a literal `exactly-once` the
 * result is `B` itself, even where `B` is a type parameter: a generic helper
 * `<G extends Guarantee>(s: Stream<T, G>) => Stream<T, G>` that adds an
 * exactly-once operator then compiles. Put the concrete side first.
 */
export type Weakest<A extends Guarantee, B extends Guarantee> =
  IsAny<A> extends true ? 'at-most-once' : [A] extends ['exactly-once'] ? B : [B] extends ['exactly-once'] ? Gives<A> : Gives<A | B>;

/** `true` when what `G` gives is at least what `Needed` needs. */
export type Satisfies<G extends Guarantee, Needed extends Guarantee> = [Needs<Needed>] extends ['at-most-once']
  ? true
  : [Gives<G>] extends ['at-most-once']
    ? false
    : [Needs<Needed>] extends ['at-least-once']
      ? true
      : [Gives<G>] extends ['exactly-once']
        ? true
        : false;

/** Runtime counterpart of {@link Weakest}. */
export function weakest<A extends Guarantee, B extends Guarantee>(a: A, b: B): Weakest<A, B> {
  return (guarantees.indexOf(a) <= guarantees.indexOf(b) ? a : b) as Weakest<A, B>;
}

/** Runtime counterpart of {@link Satisfies}. */
export function satisfies(guarantee: Guarantee, needed: Guarantee): boolean {
  return guarantees.indexOf(guarantee) >= guarantees.indexOf(needed);
}

/** A stream that is not deterministic on replay, naming the part that made it so. */
export type Nondeterministic<Because extends string = string> = `nondeterministic: ${Because}`;

/**
 * Whether a stream produces the same records, in the same order, when it is
 * replayed from a checkpoint. Sinks whose exactly-once rests on idempotent
 * writes (Cassandra upserts) deliver it only for deterministic streams.
 * A nondeterministic part says why with {@link nondeterministic}
 * (`'nondeterministic: concatMap'`), so that the compiler's message can name
 * it; a bare `'nondeterministic'` is allowed too.
 */
export type Replay = 'deterministic' | 'nondeterministic' | Nondeterministic;

/** The {@link Replay} value of a part that is nondeterministic because of `because` (its name). */
export function nondeterministic<const Because extends string>(because: Because): Nondeterministic<Because> {
  return `nondeterministic: ${because}`;
}

/**
 * What a part's replay type *gives* when it is not one literal: a union with a
 * nondeterministic member, the wide `Replay` or `any` count as nondeterministic.
 */
export type ReplayGiven<R extends Replay> =
  IsAny<R> extends true
    ? 'nondeterministic'
    : [R] extends ['deterministic']
      ? 'deterministic'
      : [Exclude<R, 'deterministic'>] extends [Nondeterministic<infer Because>]
        ? string extends Because
          ? 'nondeterministic'
          : Exclude<R, 'deterministic'>
        : 'nondeterministic';

/**
 * The replay of a stream `Earlier` followed by a part `Later`: nondeterministic
 * if either is, naming the earlier culprit. `Later` is looked at first, so a
 * deterministic part keeps a generic `Earlier` as it is (see {@link Weakest}).
 */
export type BothReplay<Earlier extends Replay, Later extends Replay> = [Later] extends ['deterministic']
  ? Earlier
  : [Earlier] extends ['deterministic']
    ? Later
    : Earlier;

/** Runtime counterpart of {@link BothReplay}. */
export function bothReplay(earlier: Replay, later: Replay): Replay {
  return earlier === 'deterministic' ? later : earlier;
}

/** How a message says why a stream is nondeterministic on replay. */
export type ReplayCause<R extends Replay> = R extends Nondeterministic<infer Because>
  ? `${Because} makes the stream nondeterministic on replay`
  : 'the stream is nondeterministic on replay';

/** Runtime counterpart of {@link ReplayCause}. */
export function replayCause(replay: Replay): string {
  return replay.startsWith('nondeterministic: ')
    ? `${replay.slice('nondeterministic: '.length)} makes the stream nondeterministic on replay`
    : 'the stream is nondeterministic on replay';
}

/**
 * A type that no value has, whose name carries a sentence: an argument that
 * breaks a guarantee rule is intersected with it, so the compiler's error
 * message quotes the rule (`... is not assignable to GuaranteeViolation<"sink
 * needs exactly-once input but the stream is at-most-once">`).
 */
export interface GuaranteeViolation<Message extends string> {
  readonly __guaranteeViolation: Message;
}
