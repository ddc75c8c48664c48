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
  return new Observable<Out | Marker>((out) => {
    const h = typeof handlers === 'function' ? handlers(out) : handlers;
    input.subscribe(new ElementSubscriber(out, h));
    return h.finalize;
  });
}

/** One stateless step of a fused chain: handle a record, passing what it makes to `emit`. */
export type RecordStage<In, Out> = (value: In, emit: (value: Out) => void) => void;

/**
 * The output of stateless operators (map, filter, flatMap, keyBy): a chain of
 * record stages run by one subscriber on `upstream`, however many operators
 * it holds. Another stateless operator applied to it extends the chain
 * instead of subscribing with a subscriber of its own, as @most/core fuses
 * `map`s. Markers (barriers, watermarks) pass a chain untouched, and since the
 * whole chain runs synchronously for each record, in order with the records.
 */
export class StatelessFlow<Out> extends Observable<Out | Marker> {
  constructor(
    readonly upstream: Flow<unknown>,
    readonly stages: readonly RecordStage<unknown, unknown>[],
  ) {
    super((out) => {
      let emit = (value: unknown): void => out.next(value as Out);
      for (let i = stages.length - 1; i >= 0; i--) {
        const stage = stages[i]!;
        const downstream = emit;
        emit = (value) => stage(value, downstream);
      }
      const first = emit;
      upstream.subscribe(new ElementSubscriber<unknown, Out>(out, { record: (value) => first(value) }));
    });
  }

  /** This chain with `stage` run after it. */
  then<Next>(stage: RecordStage<Out, Next>): StatelessFlow<Next> {
    return new StatelessFlow<Next>(this.upstream, [...this.stages, stage as RecordStage<unknown, unknown>]);
  }
}

/** Apply a stateless record stage to `input`, fused with the stateless stages before it. */
export function stateless<In, Out>(input: Flow<In>, stage: RecordStage<In, Out>): Flow<Out> {
  return input instanceof StatelessFlow ? (input as StatelessFlow<In>).then(stage) : new StatelessFlow<Out>(input, [stage as RecordStage<unknown, unknown>]);
}
