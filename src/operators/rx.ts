import { Observable, Subject } from '../contracts/rxjs.js';
import type { OperatorFunction, Subscription } from 'rxjs';
import type { Guarantee, GuaranteeViolation, Nondeterministic, Replay } from '../contracts/guarantee.js';
import { nondeterministic } from '../contracts/guarantee.js';
import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import { ConfigurationError, OnceflowError } from '../errors.js';

/** What `rx(op, { weakensTo })` may weaken a stream to: never exactly-once, since the operator's state is not checkpointed. */
export type Weakened = Exclude<Guarantee, 'exactly-once'>;

/** The claim a raw RxJS operator is admitted under. */
export type RxClaim<G extends Guarantee = Weakened> =
  /** Run it afresh for each record, so it cannot carry state from one record to the next: the stream keeps its guarantee. */
  | { readonly stateless: true }
  /** Anything else (scan, buffer, debounce...): its state is not checkpointed, so the stream's guarantee drops to `weakensTo`. */
  | { readonly weakensTo: G };

/** `unknown` for a claim `rx()` accepts; a {@link GuaranteeViolation} for a `weakensTo` that does not weaken. */
export type RxClaimCheck<Claim> = Claim extends { readonly weakensTo: infer G extends Guarantee }
  ? Claim extends { readonly stateless: unknown }
    ? GuaranteeViolation<'rx() takes one claim: { stateless: true } or { weakensTo }, not both'>
    : 'exactly-once' extends G
    ? GuaranteeViolation<"rx() weakensTo can only weaken, to 'at-least-once' or 'at-most-once': the operator's state is not in checkpoints">
    : unknown
  : unknown;

/** The operator `rx()` makes under `Claim`: exactly-once and deterministic when stateless, else weakened and nondeterministic. */
export type RxOperator<In, Out, Claim> = Claim extends { readonly weakensTo: infer G extends Guarantee }
  ? Operator<In, Out, G, Nondeterministic<'rx'>>
  : Operator<In, Out, 'exactly-once', 'deterministic'>;

/** A raw operator run under `{ stateless: true }` did not finish with the record it was given. */
export class StatelessClaimError extends OnceflowError {
  override readonly name = 'StatelessClaimError';
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/**
 * The escape hatch for a raw RxJS operator. Its internal state is invisible
 * to checkpoints, so the caller must say what it is:
 *
 * - `{ stateless: true }`: the operator is applied to each record on its own
 *   (a fresh subscription to a one-record observable), so whatever state it
 *   keeps (`scan`'s accumulator, `distinct`'s set) starts over with every
 *   record and cannot be lost on a restore. It must finish with the record
 *   synchronously: one that waits (`delay`, `debounceTime`) or emits later
 *   fails the job with a {@link StatelessClaimError}. The stream keeps its
 *   guarantee. State the operator's own functions keep in closures is the one
 *   thing this cannot see.
 * - `{ weakensTo: 'at-least-once' | 'at-most-once' }`: the operator runs as it
 *   is, over the whole stream, with state that is not checkpointed: the
 *   stream's guarantee drops to `weakensTo` and it is nondeterministic on
 *   replay. `weakensTo` can only weaken: `'exactly-once'` is refused.
 */
export function rx<In, Out, const Claim extends RxClaim<Guarantee>>(
  // The check is on the operator, not the claim: the compiler reports a failed call at its first argument.
  operator: OperatorFunction<In, Out> & RxClaimCheck<Claim>,
  claim: Claim,
): RxOperator<In, Out, Claim> {
  if ('stateless' in claim && 'weakensTo' in claim) throw new ConfigurationError('rx() takes one claim: { stateless: true } or { weakensTo }, not both');
  if ('stateless' in claim) {
    if (claim.stateless !== true) throw new ConfigurationError(`rx() stateless claim must be true, got ${String(claim.stateless)}`);
    return defineOperator<In, Out, Guarantee, Replay>({ name: 'rx', guarantee: 'exactly-once', replay: 'deterministic' }, (input) =>
      operate<In, Out>(input, {
        record(value, out) {
          let finished = false;
          let handling = true;
          const subscription = operator(new Observable<In>((one) => (one.next(value), one.complete()))).subscribe({
            next: (result) => {
              if (handling) out.next(result);
              else out.error(new StatelessClaimError(notFinished));
            },
            error: (error: unknown) => out.error(error),
            complete: () => (finished = true),
          });
          handling = false;
          if (!finished) {
            subscription.unsubscribe();
            out.error(new StatelessClaimError(notFinished));
          }
        },
      }),
    ) as RxOperator<In, Out, Claim>;
  }
  const { weakensTo } = claim as { readonly weakensTo: Guarantee };
  if (weakensTo !== 'at-least-once' && weakensTo !== 'at-most-once') {
    // Its state is not in checkpoints, so nothing it does can be exactly-once.
    throw new ConfigurationError(`rx() weakensTo must be 'at-least-once' or 'at-most-once' (it can only weaken), got ${JSON.stringify(weakensTo)}`);
  }
  return defineOperator<In, Out, Guarantee, Replay>({ name: 'rx', guarantee: weakensTo, replay: nondeterministic('rx') }, (input) =>
    operate<In, Out>(input, () => {
      const records = new Subject<In>();
      let inner: Subscription | undefined;
      return {
        record(value, out) {
          inner ??= operator(records).subscribe({ next: (result) => out.next(result), error: (error: unknown) => out.error(error) });
          records.next(value);
        },
        complete(out) {
          records.complete();
          out.complete();
        },
        finalize() {
          inner?.unsubscribe();
        },
      };
    }),
  ) as RxOperator<In, Out, Claim>;
}

const notFinished =
  'an rx() operator claimed { stateless: true } but did not finish with a record while handling it (it waits, or emits later); declare { weakensTo } instead';
