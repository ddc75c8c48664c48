import { from } from '../contracts/rxjs.js';
import type { ObservableInput, Subscriber, Subscription } from 'rxjs';
import type { Marker } from '../contracts/element.js';
import type { Nondeterministic, Replay } from '../contracts/guarantee.js';
import { nondeterministic } from '../contracts/guarantee.js';
import { ConfigurationError } from '../errors.js';
import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';

/** Options of {@link concatMap}. */
export interface ConcatMapOptions {
  /**
   * The caller's word that `project` gives the same results when a record is
   * replayed (a pure computation, a lookup in data that does not change), so
   * the stream stays deterministic on replay. Not checked.
   */
  readonly deterministic: true;
}

/**
 * Map each record to a promise, observable or iterable and emit its results,
 * one record at a time and in input order. A barrier waits behind the records
 * before it, so asynchronous work never crosses a checkpoint; records waiting
 * their turn count as in flight for flow control.
 *
 * `project` usually asks another system, whose answer may differ when a
 * record is replayed after a restore, so the stream becomes nondeterministic
 * on replay (an idempotent sink then delivers at-least-once) unless the caller
 * passes `{ deterministic: true }`.
 */
export function concatMap<In, Out>(project: (value: In) => ObservableInput<Out>): Operator<In, Out, 'exactly-once', Nondeterministic<'concatMap'>>;
export function concatMap<In, Out>(project: (value: In) => ObservableInput<Out>, options: ConcatMapOptions): Operator<In, Out>;
export function concatMap<In, Out>(project: (value: In) => ObservableInput<Out>, options?: ConcatMapOptions): Operator<In, Out, 'exactly-once', Replay> {
  if (options !== undefined && options.deterministic !== true) {
    throw new ConfigurationError(`concatMap deterministic must be true when given, got ${String(options.deterministic)}`);
  }
  const replay: Replay = options?.deterministic ? 'deterministic' : nondeterministic('concatMap');
  return defineOperator<In, Out, 'exactly-once', Replay>({ name: 'concatMap', guarantee: 'exactly-once', replay }, (input, context) =>
    operate<In, Out>(input, () => {
      const waiting: ({ record: In } | { marker: Marker })[] = [];
      let active: Subscription | undefined;
      let inputComplete = false;
      // A record arriving while next() hands out queued ones (re-entrantly) must wait its turn, not start now.
      let handingOut = false;

      return {
        record(value, out) {
          waiting.push({ record: value });
          context.inFlight(1);
          if (!active) next(out);
        },
        marker(marker, out) {
          if (active) waiting.push({ marker });
          else out.next(marker);
        },
        complete(out) {
          inputComplete = true;
          if (!active) out.complete();
        },
        finalize() {
          active?.unsubscribe();
          context.inFlight(-waiting.filter((w) => 'record' in w).length);
        },
      };

      function next(out: Subscriber<Out | Marker>): void {
        if (handingOut) return;
        handingOut = true;
        try {
          handOut(out);
        } finally {
          handingOut = false;
        }
      }

      function handOut(out: Subscriber<Out | Marker>): void {
        while (!active) {
          const item = waiting.shift();
          if (!item) {
            if (inputComplete) out.complete();
            return;
          }
          if ('marker' in item) {
            out.next(item.marker);
            continue;
          }
          context.inFlight(-1);
          let synchronous = true;
          let finished = false;
          const subscription = from(project(item.record)).subscribe({
            next: (result) => out.next(result),
            error: (error: unknown) => out.error(error),
            complete: () => {
              finished = true;
              active = undefined;
              if (!synchronous) next(out);
            },
          });
          synchronous = false;
          if (!finished) active = subscription;
        }
      }
    }),
  );
}
