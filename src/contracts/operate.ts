import { Observable, Subscriber } from 'rxjs';
import { Marker } from './element.js';
import type { Flow } from './element.js';

/** The callbacks an operator supplies to {@link operate}. */
export interface ElementHandlers<In, Out> {
  /** One record; emit results with `out.next`. A throw fails the flow. */
  record(value: In, out: Subscriber<Out | Marker>): void;
  /** One marker; by default forwarded unchanged. */
  marker?(marker: Marker, out: Subscriber<Out | Marker>): void;
  /** Input completed; by default the output completes. */
  complete?(out: Subscriber<Out | Marker>): void;
  /** Subscription ended (completed, failed or unsubscribed): release timers, inner subscriptions. */
  finalize?(): void;
}

/** Where a record handler threw: the operator being applied when its flow was built, and the record. */
export interface RecordFailure {
  /** Id of the operator, when the runtime applied it through {@link applyingOperator}. */
  readonly operatorId: string | undefined;
  readonly record: unknown;
}

/**
 * Errors thrown by record handlers, with where they were thrown. Kept beside
 * the error rather than wrapped around it, so that nothing is paid per record
 * and the error itself reaches the runtime unchanged.
 */
export const recordFailures = new WeakMap<object, RecordFailure>();

let applying: string | undefined;

/** Apply an operator, so that flows it builds with {@link operate} know its id for {@link recordFailures}. */
export function applyingOperator<R>(operatorId: string, apply: () => R): R {
  const outer = applying;
  applying = operatorId;
  try {
    return apply();
  } finally {
    applying = outer;
  }
}

/**
 * Subscribes with a Subscriber subclass rather than a partial observer, the way
 * RxJS's own operators do: no wrapping per subscription and one method call and
 * one `instanceof` per element.
 *
 * It counts the records it takes in: one field increment, which is what makes
 * per-operator record metrics nearly free (the runtime's metrics read
 * `recordsIn` of the subscriber that consumes each flow instead of putting a
 * counting stage of its own between two operators).
 */
export class ElementSubscriber<In, Out> extends Subscriber<In | Marker> {
  /** Records (not markers) received so far. */
  recordsIn = 0;

  constructor(
    private readonly out: Subscriber<Out | Marker>,
    private readonly handlers: ElementHandlers<In, Out>,
    private readonly operatorId: string | undefined,
  ) {
    super(out);
  }

  protected override _next(value: In | Marker): void {
    try {
      if (value instanceof Marker) {
        if (this.handlers.marker) this.handlers.marker(value, this.out);
        else this.out.next(value);
      } else {
        this.recordsIn++;
        this.handlers.record(value, this.out);
      }
    } catch (error) {
      // Set even when known: an operator may throw one error object for several records.
      if (!(value instanceof Marker) && typeof error === 'object' && error !== null) recordFailures.set(error, { operatorId: this.operatorId, record: value });
      this.out.error(error);
    }
  }

  protected override _complete(): void {
    try {
      if (this.handlers.complete) this.handlers.complete(this.out);
      else this.out.complete();
    } catch (error) {
      this.out.error(error);
    }
    this.unsubscribe();
  }
}

/**
 * Build an operator's output flow from per-element handlers. Pass a function
 * to get fresh handlers (and their state) per subscription, with the output
 * at hand for emissions of its own, such as timers.
 */
export function operate<In, Out>(
  input: Flow<In>,
  handlers: ((out: Subscriber<Out | Marker>) => ElementHandlers<In, Out>) | ElementHandlers<In, Out>,
): Flow<Out> {
  const operatorId = applying;
  return new Observable<Out | Marker>((out) => {
    const h = typeof handlers === 'function' ? handlers(out) : handlers;
    input.subscribe(new ElementSubscriber(out, h, operatorId));
    return h.finalize;
  });
}
