import { Subscriber } from 'rxjs';
import { Observable } from 'rxjs';
import { inspect } from 'node:util';
import { Marker } from '../contracts/element.js';
import type { Flow } from '../contracts/element.js';
import { messageOf, OperatorError } from '../errors.js';

/** Characters of a record quoted in an {@link OperatorError}: enough to find it, not a megabyte of log. */
export const recordPreviewLength = 200;

/** A record as a short, single-line text. */
export function previewRecord(record: unknown): string {
  const text = inspect(record, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: recordPreviewLength });
  return text.length > recordPreviewLength ? `${text.slice(0, recordPreviewLength)}... (${text.length} characters)` : text;
}

// Remembers the last record given to the operator and the error its input failed with, if any.
class InputTracker<In> extends Subscriber<In | Marker> {
  last: { readonly record: In } | undefined;
  upstreamError: { readonly error: unknown } | undefined;

  protected override _next(value: In | Marker): void {
    if (!(value instanceof Marker)) this.last = { record: value };
    this.destination.next(value);
  }

  protected override _error(error: unknown): void {
    this.upstreamError = { error };
    super._error(error);
  }
}

/**
 * Run `apply` (an operator wired to its input) so that an error the operator
 * itself raises becomes an {@link OperatorError} naming `operatorId` and the
 * record it was given last (for a synchronous operator: the record it failed
 * on). Errors from upstream pass through untouched.
 */
export function attributeErrors<In, Out>(operatorId: string, input: Flow<In>, apply: (input: Flow<In>) => Flow<Out>): Flow<Out> {
  // A flow is subscribed once per attempt: the tracker of the current subscription is the one to ask.
  let tracker: InputTracker<In> | undefined;
  const tracked = new Observable<In | Marker>((subscriber) => {
    tracker = new InputTracker<In>(subscriber);
    return input.subscribe(tracker);
  });
  // Applied now, not on subscription: the operator registers its state when it is applied.
  const output = apply(tracked);
  return new Observable<Out | Marker>((out) =>
    output.subscribe({
      next: (value) => out.next(value),
      complete: () => out.complete(),
      error: (error: unknown) => {
        const upstream = tracker?.upstreamError;
        if ((upstream && upstream.error === error) || error instanceof OperatorError) {
          out.error(error);
          return;
        }
        const last = tracker?.last;
        out.error(
          new OperatorError(
            `operator ${operatorId} failed${last ? ` on record ${previewRecord(last.record)}` : ''}: ${messageOf(error)}`,
            operatorId,
            last ? previewRecord(last.record) : undefined,
            error,
          ),
        );
      },
    }),
  );
}
