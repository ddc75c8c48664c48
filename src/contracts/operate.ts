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

/** Where one stage of a fused chain passes its records. */
export interface Emitter<T> {
  next(value: T): void;
}

/**
 * One stateless step of a fused chain: given where its output goes, the
 * emitter its input goes to. Stages are small classes (see {@link mapStage})
 * rather than closures, so that each call site in a chain sees few classes and
 * V8 can inline along it.
 */
export type RecordStage<In, Out> = (downstream: Emitter<Out>) => Emitter<In>;

class MapStage<In, Out> implements Emitter<In> {
  constructor(
    private readonly project: (value: In) => Out,
    private readonly downstream: Emitter<Out>,
  ) {}

  next(value: In): void {
    this.downstream.next(this.project(value));
  }
}

class FilterStage<T> implements Emitter<T> {
  constructor(
    private readonly predicate: (value: T) => boolean,
    private readonly downstream: Emitter<T>,
  ) {}

  next(value: T): void {
    if (this.predicate(value)) this.downstream.next(value);
  }
}

class FlatMapStage<In, Out> implements Emitter<In> {
  constructor(
    private readonly project: (value: In) => Iterable<Out>,
    private readonly downstream: Emitter<Out>,
  ) {}

  next(value: In): void {
    for (const result of this.project(value)) this.downstream.next(result);
  }
}

/** A stage emitting `project(record)` for each record. */
export const mapStage =
  <In, Out>(project: (value: In) => Out): RecordStage<In, Out> =>
  (downstream) =>
    new MapStage(project, downstream);

/** A stage passing the records for which `predicate` holds. */
export const filterStage =
  <T>(predicate: (value: T) => boolean): RecordStage<T, T> =>
  (downstream) =>
    new FilterStage(predicate, downstream);

/** A stage emitting every result of `project(record)`, in order. */
export const flatMapStage =
  <In, Out>(project: (value: In) => Iterable<Out>): RecordStage<In, Out> =>
  (downstream) =>
    new FlatMapStage(project, downstream);

class SubscriberEmitter<T> implements Emitter<T> {
  constructor(private readonly out: Subscriber<T | Marker>) {}

  next(value: T): void {
    this.out.next(value);
  }
}

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
      let head: Emitter<unknown> = new SubscriberEmitter(out);
      for (let i = stages.length - 1; i >= 0; i--) head = stages[i]!(head);
      const first = head;
      upstream.subscribe(new ElementSubscriber<unknown, Out>(out, { record: (value) => first.next(value) }));
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
