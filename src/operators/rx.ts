import { Subject } from 'rxjs';
import type { OperatorFunction, Subscription } from 'rxjs';
import type { Guarantee } from '../contracts/guarantee.js';
import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import { OnceflowError } from '../errors.js';

/** The claim a raw RxJS operator is admitted under. */
export type RxClaim<G extends Guarantee> =
  /** It keeps no state and emits only synchronously in response to a record: the stream keeps its guarantee. */
  | { readonly stateless: true }
  /** Anything else (scan, buffer, debounce...): its state is not checkpointed, so the stream's guarantee drops to `weakensTo`. */
  | { readonly weakensTo: G };

/** A stateless raw operator emitted outside a record, which would put a record on the wrong side of a barrier. */
export class StatelessClaimError extends OnceflowError {
  override readonly name = 'StatelessClaimError';
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/**
 * The escape hatch for a raw RxJS operator. Its internal state is invisible
 * to checkpoints, so the caller must say what it is: `{ stateless: true }`
 * (checked at run time: an emission that is not the synchronous answer to a
 * record fails the job) or `{ weakensTo: guarantee }`, which weakens the
 * stream and marks it nondeterministic on replay.
 */
export function rx<In, Out>(operator: OperatorFunction<In, Out>, claim: { readonly stateless: true }): Operator<In, Out, 'exactly-once', 'deterministic'>;
export function rx<In, Out, G extends Guarantee>(operator: OperatorFunction<In, Out>, claim: { readonly weakensTo: G }): Operator<In, Out, G, 'nondeterministic'>;
export function rx<In, Out>(operator: OperatorFunction<In, Out>, claim: RxClaim<Guarantee>): Operator<In, Out, Guarantee, 'deterministic' | 'nondeterministic'> {
  const stateless = 'stateless' in claim;
  const info = stateless
    ? ({ name: 'rx', guarantee: 'exactly-once', replay: 'deterministic' } as const)
    : ({ name: 'rx', guarantee: claim.weakensTo, replay: 'nondeterministic' } as const);
  return defineOperator<In, Out, Guarantee, 'deterministic' | 'nondeterministic'>(info, (input) =>
    operate<In, Out>(input, () => {
      const records = new Subject<In>();
      let handlingRecord = false;
      let inner: Subscription | undefined;
      return {
        record(value, out) {
          inner ??= operator(records).subscribe({
            next: (result) => {
              if (stateless && !handlingRecord) {
                out.error(new StatelessClaimError('an rx() operator claimed { stateless: true } but emitted outside the handling of a record; declare { weakensTo } instead'));
              } else {
                out.next(result);
              }
            },
            error: (error: unknown) => out.error(error),
          });
          handlingRecord = true;
          try {
            records.next(value);
          } finally {
            handlingRecord = false;
          }
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
  );
}
