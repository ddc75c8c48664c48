import type { Flow } from '../contracts/element.js';
import type { BothReplay, Gives, Guarantee, IsAny, GuaranteeViolation, Needs, Replay, ReplayCause, ReplayGiven, Satisfies, Weakest } from '../contracts/guarantee.js';
import { bothReplay, guarantees, replayCause, satisfies, weakest } from '../contracts/guarantee.js';
import type { Operator } from '../contracts/operator.js';
import { operatorInfo } from '../contracts/operator.js';
import type { Sink } from '../contracts/sink.js';
import type { PipelineSettings } from '../runtime/settings.js';
import { Job } from './job.js';
import type { Wiring } from '../runtime/wiring.js';
import { ConfigurationError } from '../errors.js';


/** A sink's `DeterministicOnly` as it counts: `true` unless its type says `false` (a `boolean` or `any` might be true). */
export type OnlyForDeterministic<DeterministicOnly extends boolean> = IsAny<DeterministicOnly> extends true ? true : [DeterministicOnly] extends [false] ? false : true;

/** What a sink with delivery `D` adds after a stream with replay `R`: at most at-least-once when `D` rests on a deterministic replay that `R` lacks. */
type Delivered<R extends Replay, D extends Guarantee, DeterministicOnly extends boolean> = [OnlyForDeterministic<DeterministicOnly>] extends [true]
  ? [ReplayGiven<R>] extends ['deterministic']
    ? Gives<D>
    : Weakest<Gives<D>, 'at-least-once'>
  : Gives<D>;

/** What a stream delivers end to end into sink with delivery `D`, each part counted as the weakest its type allows. */
export type EndToEnd<G extends Guarantee, R extends Replay, D extends Guarantee, DeterministicOnly extends boolean> = Weakest<Delivered<R, D, DeterministicOnly>, Gives<G>>;

/**
 * `unknown` when the sink may follow the stream, otherwise a {@link GuaranteeViolation} naming both sides.
 * What the stream and sink give counts as the weakest their types allow, what the pipeline and sink need as the strongest.
 */
export type SinkCheck<
  G extends Guarantee,
  R extends Replay,
  Need extends Guarantee,
  D extends Guarantee,
  Requires extends Guarantee,
  DeterministicOnly extends boolean,
> =
  Satisfies<G, Requires> extends false
    ? GuaranteeViolation<`sink needs ${Needs<Requires>} input but the stream is ${Gives<G>}`>
    : Satisfies<EndToEnd<G, R, D, DeterministicOnly>, Need> extends true
      ? unknown
      : Satisfies<G, Need> extends false
        ? GuaranteeViolation<`pipeline needs ${Needs<Need>} but the stream is ${Gives<G>}`>
        : Satisfies<D, Need> extends true
          ? GuaranteeViolation<`pipeline needs ${Needs<Need>} but the sink is ${Gives<D>} only for a deterministic stream and ${ReplayCause<ReplayGiven<R>>}`>
          : GuaranteeViolation<`pipeline needs ${Needs<Need>} but the sink delivers ${Gives<D>}`>;

/** The replay of a list of operators: the first nondeterministic one's, or deterministic. */
export type OperatorsReplay<Rs extends readonly Replay[]> = [Rs[number]] extends ['deterministic']
  ? 'deterministic'
  : Rs extends readonly [infer First extends Replay, ...infer Rest extends readonly Replay[]]
    ? [First] extends ['deterministic']
      ? OperatorsReplay<Rest>
      : ReplayGiven<First>
    : 'deterministic';

function isOperator(value: unknown): value is Operator<unknown, unknown, Guarantee, Replay> {
  return typeof value === 'function' && operatorInfo in value;
}

/**
 * A typed stream of records `T` with guarantee `G` so far, replay determinism
 * `R`, inside a pipeline that declared it needs `Need` end to end.
 *
 * Built with `pipeline(...).from(source)`, extended with {@link pipe}, merged
 * with `union(...)`, and closed with {@link to}, which yields a runnable job.
 */
export class Stream<out T, in out G extends Guarantee, in out R extends Replay = 'deterministic', in out Need extends Guarantee = 'at-most-once'> {
  /** @internal Created by `pipeline().from()`, `pipe()` and `union()`. */
  constructor(
    /** @internal */ readonly settings: PipelineSettings,
    /** The guarantee of the stream so far. */
    readonly guarantee: G,
    /** Whether the stream so far is deterministic on replay. */
    readonly replay: R,
    /** @internal */ readonly plan: (wiring: Wiring) => Flow<T>,
  ) {}

  /**
   * Apply operators in order (up to 16 in one call; call `pipe()` again for
   * more, which types the same). The stream keeps the weakest guarantee among
   * them and becomes nondeterministic on replay at the first nondeterministic
   * one.
   *
   * One overload per number of operators: each operator's input is the output
   * before it, so lambdas get their types from context, and the compiler picks
   * the one overload of the right length before inferring anything, so a call
   * costs what its operators cost and an error names the argument at fault
   * rather than "no overload matches". A raw RxJS operator is told to go
   * through `rx()` (the text is written out in each overload: under an alias the
   * compiler would quote the alias's name instead).
   */
  // BEGIN overloads written by scripts/pipe-overloads.ts
  pipe(): this;
  pipe<O1, G1 extends Guarantee, R1 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O1, Weakest<Gives<G1>, G>, BothReplay<R, OperatorsReplay<[R1]>>, Need>;
  pipe<O1, O2, G1 extends Guarantee, G2 extends Guarantee, R1 extends Replay, R2 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O2, Weakest<Gives<G1 | G2>, G>, BothReplay<R, OperatorsReplay<[R1, R2]>>, Need>;
  pipe<O1, O2, O3, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O3, Weakest<Gives<G1 | G2 | G3>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3]>>, Need>;
  pipe<O1, O2, O3, O4, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O4, Weakest<Gives<G1 | G2 | G3 | G4>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4]>>, Need>;
  pipe<O1, O2, O3, O4, O5, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O5, Weakest<Gives<G1 | G2 | G3 | G4 | G5>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O6, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O7, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O8, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O9, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O10, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, G11 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay, R11 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op11: Operator<O10, O11, G11, R11> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O11, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10 | G11>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11, O12, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, G11 extends Guarantee, G12 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay, R11 extends Replay, R12 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op11: Operator<O10, O11, G11, R11> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op12: Operator<O11, O12, G12, R12> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O12, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10 | G11 | G12>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11, O12, O13, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, G11 extends Guarantee, G12 extends Guarantee, G13 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay, R11 extends Replay, R12 extends Replay, R13 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op11: Operator<O10, O11, G11, R11> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op12: Operator<O11, O12, G12, R12> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op13: Operator<O12, O13, G13, R13> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O13, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10 | G11 | G12 | G13>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11, O12, O13, O14, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, G11 extends Guarantee, G12 extends Guarantee, G13 extends Guarantee, G14 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay, R11 extends Replay, R12 extends Replay, R13 extends Replay, R14 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op11: Operator<O10, O11, G11, R11> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op12: Operator<O11, O12, G12, R12> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op13: Operator<O12, O13, G13, R13> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op14: Operator<O13, O14, G14, R14> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O14, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10 | G11 | G12 | G13 | G14>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11, O12, O13, O14, O15, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, G11 extends Guarantee, G12 extends Guarantee, G13 extends Guarantee, G14 extends Guarantee, G15 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay, R11 extends Replay, R12 extends Replay, R13 extends Replay, R14 extends Replay, R15 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op11: Operator<O10, O11, G11, R11> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op12: Operator<O11, O12, G12, R12> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op13: Operator<O12, O13, G13, R13> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op14: Operator<O13, O14, G14, R14> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op15: Operator<O14, O15, G15, R15> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O15, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10 | G11 | G12 | G13 | G14 | G15>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15]>>, Need>;
  pipe<O1, O2, O3, O4, O5, O6, O7, O8, O9, O10, O11, O12, O13, O14, O15, O16, G1 extends Guarantee, G2 extends Guarantee, G3 extends Guarantee, G4 extends Guarantee, G5 extends Guarantee, G6 extends Guarantee, G7 extends Guarantee, G8 extends Guarantee, G9 extends Guarantee, G10 extends Guarantee, G11 extends Guarantee, G12 extends Guarantee, G13 extends Guarantee, G14 extends Guarantee, G15 extends Guarantee, G16 extends Guarantee, R1 extends Replay, R2 extends Replay, R3 extends Replay, R4 extends Replay, R5 extends Replay, R6 extends Replay, R7 extends Replay, R8 extends Replay, R9 extends Replay, R10 extends Replay, R11 extends Replay, R12 extends Replay, R13 extends Replay, R14 extends Replay, R15 extends Replay, R16 extends Replay>(
    op1: Operator<T, O1, G1, R1> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op2: Operator<O1, O2, G2, R2> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op3: Operator<O2, O3, G3, R3> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op4: Operator<O3, O4, G4, R4> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op5: Operator<O4, O5, G5, R5> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op6: Operator<O5, O6, G6, R6> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op7: Operator<O6, O7, G7, R7> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op8: Operator<O7, O8, G8, R8> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op9: Operator<O8, O9, G9, R9> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op10: Operator<O9, O10, G10, R10> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op11: Operator<O10, O11, G11, R11> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op12: Operator<O11, O12, G12, R12> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op13: Operator<O12, O13, G13, R13> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op14: Operator<O13, O14, G14, R14> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op15: Operator<O14, O15, G15, R15> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
    op16: Operator<O15, O16, G16, R16> | GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">,
  ): Stream<O16, Weakest<Gives<G1 | G2 | G3 | G4 | G5 | G6 | G7 | G8 | G9 | G10 | G11 | G12 | G13 | G14 | G15 | G16>, G>, BothReplay<R, OperatorsReplay<[R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15, R16]>>, Need>;
  // END overloads written by scripts/pipe-overloads.ts

  // Stream is invariant in its guarantee and replay (they appear in to()'s check), so no wide return type
  // covers every instantiation of the signature above: the implementation's is `never`, and its value is
  // the stream built from the operators, as the signature types it.
  pipe(...operators: unknown[]): never {
    let guarantee: Guarantee = this.guarantee;
    let replay: Replay = this.replay;
    const checked = operators.map((op, index) => {
      // The types reject these; the check is for callers without them (plain JavaScript).
      if (!isOperator(op)) {
        throw new ConfigurationError(
          `pipe() argument ${index + 1} is not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })`,
        );
      }
      guarantee = weakest(guarantee, op[operatorInfo].guarantee);
      replay = bothReplay(replay, op[operatorInfo].replay);
      return op;
    });
    const parent = this.plan as (wiring: Wiring) => Flow<unknown>;
    return new Stream(this.settings, guarantee, replay, (wiring) => checked.reduce((flow, op) => wiring.operator(op, flow), parent(wiring))) as never;
  }

  /**
   * Send the stream into `sink` and get the job. Does not compile when the
   * sink needs more of its input than the stream gives, or when the job's
   * end-to-end guarantee is weaker than the pipeline declared.
   */
  to<D extends Guarantee, Requires extends Guarantee, DeterministicOnly extends boolean, C, S>(
    sink: Sink<T, D, Requires, DeterministicOnly, C, S> & SinkCheck<G, R, Need, D, Requires, DeterministicOnly>,
  ): Job<EndToEnd<G, R, D, DeterministicOnly>> {
    // The types reject these; the checks are for callers without them (plain JavaScript, casts to any).
    for (const [what, value] of [['guarantee', sink.guarantee], ['requires', sink.requires]] as const) {
      if (!guarantees.includes(value)) throw new ConfigurationError(`sink '${sink.name}' has an unknown ${what} ${JSON.stringify(value)}`);
    }
    if (!satisfies(this.guarantee, sink.requires)) {
      throw new ConfigurationError(`sink '${sink.name}' needs ${sink.requires} input but the stream is ${this.guarantee}`);
    }
    const notDeterministic = sink.deterministicOnly !== false && this.replay !== 'deterministic';
    const delivered = notDeterministic ? weakest(sink.guarantee, 'at-least-once') : sink.guarantee;
    const endToEnd = weakest(this.guarantee, delivered) as EndToEnd<G, R, D, DeterministicOnly>;
    const needed = this.settings.guarantee;
    if (!satisfies(endToEnd, needed)) {
      const why = !satisfies(this.guarantee, needed)
        ? `the stream is ${this.guarantee}`
        : satisfies(sink.guarantee, needed)
          ? `sink '${sink.name}' is ${sink.guarantee} only for a deterministic stream and ${replayCause(this.replay)}`
          : `sink '${sink.name}' delivers ${sink.guarantee}`;
      throw new ConfigurationError(`pipeline '${this.settings.id}' needs ${needed} but ${why}`);
    }
    return new Job(this.settings, endToEnd, this.plan, sink as Sink<T, Guarantee, Guarantee, boolean, C, S>);
  }
}
