import type { Flow } from '../contracts/element.js';
import type { BothReplay, Guarantee, GuaranteeViolation, Replay, Satisfies, Weakest } from '../contracts/guarantee.js';
import { satisfies, weakest } from '../contracts/guarantee.js';
import type { Operator } from '../contracts/operator.js';
import { operatorInfo } from '../contracts/operator.js';
import type { Sink } from '../contracts/sink.js';
import type { PipelineSettings } from '../runtime/settings.js';
import { Job } from './job.js';
import type { Wiring } from '../runtime/wiring.js';
import { ConfigurationError } from '../errors.js';


/** What a stream delivers end to end into sink with delivery `D`. */
export type EndToEnd<G extends Guarantee, R extends Replay, D extends Guarantee, DeterministicOnly extends boolean> = Weakest<
  G,
  DeterministicOnly extends true ? (R extends 'deterministic' ? D : Weakest<D, 'at-least-once'>) : D
>;

/** `unknown` when the sink may follow the stream, otherwise a {@link GuaranteeViolation} naming both sides. */
export type SinkCheck<
  G extends Guarantee,
  R extends Replay,
  Need extends Guarantee,
  D extends Guarantee,
  Requires extends Guarantee,
  DeterministicOnly extends boolean,
> =
  Satisfies<G, Requires> extends false
    ? GuaranteeViolation<`sink needs ${Requires} input but the stream is ${G}`>
    : Satisfies<EndToEnd<G, R, D, DeterministicOnly>, Need> extends true
      ? unknown
      : Satisfies<G, Need> extends false
        ? GuaranteeViolation<`pipeline needs ${Need} but the stream is ${G}`>
        : Satisfies<D, Need> extends true
          ? GuaranteeViolation<`pipeline needs ${Need} but the sink is ${D} only for a deterministic stream and the stream is ${R}`>
          : GuaranteeViolation<`pipeline needs ${Need} but the sink delivers ${D}`>;

/**
 * A typed stream of records `T` with guarantee `G` so far, replay determinism
 * `R`, inside a pipeline that declared it needs `Need` end to end.
 *
 * Built with `pipeline(...).from(source)`, extended with {@link pipe}, merged
 * with `union(...)`, and closed with {@link to}, which yields a runnable job.
 */
export class Stream<T, G extends Guarantee, R extends Replay = 'deterministic', Need extends Guarantee = 'at-most-once'> {
  /** @internal Created by `pipeline().from()`, `pipe()` and `union()`. */
  constructor(
    /** @internal */ readonly settings: PipelineSettings,
    /** The guarantee of the stream so far. */
    readonly guarantee: G,
    /** Whether the stream so far is deterministic on replay. */
    readonly replay: R,
    /** @internal */ readonly plan: (wiring: Wiring) => Flow<T>,
  ) {}

  /** Apply operators in order; the stream keeps the weakest guarantee among them. */
  pipe(): this;
  pipe<A, G1 extends Guarantee, R1 extends Replay>(op1: Operator<T, A, G1, R1>): Stream<A, Weakest<G, G1>, BothReplay<R, R1>, Need>;
  pipe<A, B, G1 extends Guarantee, R1 extends Replay, G2 extends Guarantee, R2 extends Replay>(
    op1: Operator<T, A, G1, R1>,
    op2: Operator<A, B, G2, R2>,
  ): Stream<B, Weakest<G, Weakest<G1, G2>>, BothReplay<R, BothReplay<R1, R2>>, Need>;
  pipe<A, B, C, G1 extends Guarantee, R1 extends Replay, G2 extends Guarantee, R2 extends Replay, G3 extends Guarantee, R3 extends Replay>(
    op1: Operator<T, A, G1, R1>,
    op2: Operator<A, B, G2, R2>,
    op3: Operator<B, C, G3, R3>,
  ): Stream<C, Weakest<G, Weakest<G1, Weakest<G2, G3>>>, BothReplay<R, BothReplay<R1, BothReplay<R2, R3>>>, Need>;
  pipe<
    A, B, C, D,
    G1 extends Guarantee, R1 extends Replay, G2 extends Guarantee, R2 extends Replay,
    G3 extends Guarantee, R3 extends Replay, G4 extends Guarantee, R4 extends Replay,
  >(
    op1: Operator<T, A, G1, R1>,
    op2: Operator<A, B, G2, R2>,
    op3: Operator<B, C, G3, R3>,
    op4: Operator<C, D, G4, R4>,
  ): Stream<D, Weakest<G, Weakest<G1, Weakest<G2, Weakest<G3, G4>>>>, BothReplay<R, BothReplay<R1, BothReplay<R2, BothReplay<R3, R4>>>>, Need>;
  pipe<
    A, B, C, D, E,
    G1 extends Guarantee, R1 extends Replay, G2 extends Guarantee, R2 extends Replay, G3 extends Guarantee, R3 extends Replay,
    G4 extends Guarantee, R4 extends Replay, G5 extends Guarantee, R5 extends Replay,
  >(
    op1: Operator<T, A, G1, R1>,
    op2: Operator<A, B, G2, R2>,
    op3: Operator<B, C, G3, R3>,
    op4: Operator<C, D, G4, R4>,
    op5: Operator<D, E, G5, R5>,
  ): Stream<
    E,
    Weakest<G, Weakest<G1, Weakest<G2, Weakest<G3, Weakest<G4, G5>>>>>,
    BothReplay<R, BothReplay<R1, BothReplay<R2, BothReplay<R3, BothReplay<R4, R5>>>>>,
    Need
  >;
  pipe(...operators: Operator<unknown, unknown, Guarantee, Replay>[]): Stream<unknown, Guarantee, Replay, Need> {
    let guarantee: Guarantee = this.guarantee;
    let replay: Replay = this.replay;
    for (const op of operators) {
      guarantee = weakest(guarantee, op[operatorInfo].guarantee);
      if (op[operatorInfo].replay === 'nondeterministic') replay = 'nondeterministic';
    }
    const parent = this.plan as (wiring: Wiring) => Flow<unknown>;
    return new Stream(this.settings, guarantee, replay, (wiring) => operators.reduce((flow, op) => wiring.operator(op, flow), parent(wiring)));
  }

  /**
   * Send the stream into `sink` and get the job. Does not compile when the
   * sink needs more of its input than the stream gives, or when the job's
   * end-to-end guarantee is weaker than the pipeline declared.
   */
  to<D extends Guarantee, Requires extends Guarantee, DeterministicOnly extends boolean, C, S>(
    sink: Sink<T, D, Requires, DeterministicOnly, C, S> & SinkCheck<G, R, Need, D, Requires, DeterministicOnly>,
  ): Job<EndToEnd<G, R, D, DeterministicOnly>> {
    // The types reject these; the checks are for callers without them (plain JavaScript).
    if (!satisfies(this.guarantee, sink.requires)) {
      throw new ConfigurationError(`sink '${sink.name}' needs ${sink.requires} input but the stream is ${this.guarantee}`);
    }
    const delivered = sink.deterministicOnly && this.replay === 'nondeterministic' ? weakest(sink.guarantee, 'at-least-once') : sink.guarantee;
    const endToEnd = weakest(this.guarantee, delivered) as EndToEnd<G, R, D, DeterministicOnly>;
    if (!satisfies(endToEnd, this.settings.guarantee)) {
      throw new ConfigurationError(`pipeline '${this.settings.id}' needs ${this.settings.guarantee} but delivers ${endToEnd} into sink '${sink.name}'`);
    }
    return new Job(this.settings, endToEnd, this.plan, sink as Sink<T, Guarantee, Guarantee, boolean, C, S>);
  }
}
