import type { Flow } from './element.js';
import type { Guarantee, Replay } from './guarantee.js';
import type { OperatorState } from './state.js';

/** What the runtime hands an operator when it is wired into a job. */
export interface OperatorContext {
  /** Stable id of this operator within the job; its state is stored under it. */
  readonly id: string;
  /** Register checkpointed state here; an operator that does takes part in checkpoints. */
  readonly state: OperatorState;
  /**
   * Report records an asynchronous stage holds (positive) or has released
   * (negative), so sources pause while too much is in flight.
   */
  readonly inFlight: (delta: number) => void;
}

/** Facts about an operator that the types and the runtime both read. */
export interface OperatorInfo<G extends Guarantee, R extends Replay> {
  /** Short name, part of the operator's state id. */
  readonly name: string;
  /** The strongest guarantee the operator keeps. */
  readonly guarantee: G;
  /** Whether it emits the same output when its input is replayed. */
  readonly replay: R;
  /**
   * Stable id its state is stored under (Flink's `uid`), set with `uid()`.
   * Without one the id is the operator's place in the pipeline, so adding an
   * operator before a stateful one orphans that one's state.
   */
  readonly uid?: string;
  /**
   * What the operator does to the key of the records it passes on (`Keyed.key`),
   * read by the check that keyed state in a scaled-out Kafka job is partitioned
   * as its input is: `'partitioned'` makes the key from what the input topic is
   * partitioned by (`keyByMessageKey`), `'kept'` passes each record's key on
   * unchanged (`filter`, `reduce`, `count`, the windows, `dedupe`). Absent: after
   * this operator a key may be anything.
   */
  readonly keys?: 'partitioned' | 'kept';
}

/** Where an operator keeps its {@link OperatorInfo}. */
export const operatorInfo: unique symbol = Symbol('onceflow.operator');

/**
 * A step of a pipeline: a plain function from one flow to another, as in
 * RxJS, branded with the guarantee it keeps. Only {@link defineOperator}
 * brands one, so a raw RxJS operator cannot slip in unchecked; use `rx()`.
 */
export interface Operator<In, Out, G extends Guarantee = 'exactly-once', R extends Replay = 'deterministic'> {
  (input: Flow<In>, context: OperatorContext): Flow<Out>;
  readonly [operatorInfo]: OperatorInfo<G, R>;
}

/**
 * Brand a flow function as an operator.
 *
 * This is an unchecked claim: the compiler takes `info.guarantee` and
 * `info.replay` as given, and nothing checks them at run time. The function
 * must forward every marker in order, never move a record across a barrier,
 * keep any state it needs across failures in `context.state`, and, to claim
 * `replay: 'deterministic'`, give the same output whenever its input is
 * replayed (no clock, no randomness, no lookups in data that changes). When it
 * cannot, say so in `info`: a weaker `guarantee`, or
 * `replay: nondeterministic('myOperator')`, which names it in the compiler's
 * message about idempotent sinks. To run a raw RxJS operator, use `rx()`.
 */
export function defineOperator<In, Out, G extends Guarantee = 'exactly-once', R extends Replay = 'deterministic'>(
  info: OperatorInfo<G, R>,
  apply: (input: Flow<In>, context: OperatorContext) => Flow<Out>,
): Operator<In, Out, G, R> {
  return Object.assign(apply, { [operatorInfo]: info });
}
