import { Observable, Subscriber } from './rxjs.js';
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
 * A subscriber that counts the records (not markers) it takes in, one field
 * increment each: the job's metrics read `recordsIn` of the subscriber that
 * consumes a flow instead of putting a counting stage of their own in front of it.
 */
export abstract class RecordCountingSubscriber<T> extends Subscriber<T | Marker> implements CountsRecords {
  recordsIn = 0;
}

/**
 * Subscribes with a Subscriber subclass rather than a partial observer, the way
 * RxJS's own operators do: no wrapping per subscription and one method call and
 * one `instanceof` per element. Counting what it takes in (see
 * {@link RecordCountingSubscriber}) is what makes per-operator record metrics nearly free.
 */
export class ElementSubscriber<In, Out> extends RecordCountingSubscriber<In> {
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
      if (!(value instanceof Marker)) noteRecordFailure(error, this.operatorId, value);
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

/** Errors a fused stage attributed to its own operator, which the chain's subscriber must not attribute again. */
const notedByStage = new WeakSet<object>();

/**
 * Attribute `error`, thrown while a subscriber handled `record`, to operator `operatorId`, unless a fused
 * stage attributed it to its own operator already (see {@link noteStageFailure}). Set even when known:
 * an operator may throw one error object for several records.
 */
function noteRecordFailure(error: unknown, operatorId: string | undefined, record: unknown): void {
  if (typeof error !== 'object' || error === null || notedByStage.delete(error)) return;
  recordFailures.set(error, { operatorId, record });
}

/** Attribute `error`, thrown by the function of a fused stage of operator `operatorId` for `record`. */
function noteStageFailure(error: unknown, operatorId: string | undefined, record: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  recordFailures.set(error, { operatorId, record });
  notedByStage.add(error);
}

/**
 * Where one stage of a fused chain passes its records. Every emitter counts
 * the records it takes in, one field increment, so that the job's metrics read
 * the count of each operator's input from the stage that consumes it instead
 * of putting a counting stage of its own into the chain.
 */
export interface Emitter<T> extends CountsRecords {
  next(value: T): void;
}

/** Something that records how many records it received: what the job's metrics read counts from. */
export interface CountsRecords {
  /** Records (not markers) received so far. */
  readonly recordsIn: number;
}

/** What the job's metrics register to read an input's record count from, when the chain is subscribed. */
export type InputCounter = (consumer: CountsRecords) => void;

/**
 * One stateless step of a fused chain: given where its output goes, the
 * emitter its input goes to. Stages are small classes (see {@link mapStage})
 * rather than closures, so that each call site in a chain sees few classes and
 * V8 can inline along it.
 */
export type RecordStage<In, Out> = (downstream: Emitter<Out>, operatorId: string | undefined) => Emitter<In>;

class MapStage<In, Out> implements Emitter<In> {
  recordsIn = 0;

  constructor(
    private readonly project: (value: In) => Out,
    private readonly downstream: Emitter<Out>,
    private readonly operatorId: string | undefined,
  ) {}

  next(value: In): void {
    this.recordsIn++;
    let result: Out;
    try {
      result = this.project(value);
    } catch (error) {
      noteStageFailure(error, this.operatorId, value);
      throw error;
    }
    this.downstream.next(result);
  }
}

class FilterStage<T> implements Emitter<T> {
  recordsIn = 0;

  constructor(
    private readonly predicate: (value: T) => boolean,
    private readonly downstream: Emitter<T>,
    private readonly operatorId: string | undefined,
  ) {}

  next(value: T): void {
    this.recordsIn++;
    let kept: boolean;
    try {
      kept = this.predicate(value);
    } catch (error) {
      noteStageFailure(error, this.operatorId, value);
      throw error;
    }
    if (kept) this.downstream.next(value);
  }
}

class FlatMapStage<In, Out> implements Emitter<In> {
  recordsIn = 0;

  constructor(
    private readonly project: (value: In) => Iterable<Out>,
    private readonly downstream: Emitter<Out>,
    private readonly operatorId: string | undefined,
  ) {}

  next(value: In): void {
    this.recordsIn++;
    let results: Out[];
    try {
      // Taken whole before any is passed on, so that a throw is the project function's, not a later stage's.
      results = Array.from(this.project(value));
    } catch (error) {
      noteStageFailure(error, this.operatorId, value);
      throw error;
    }
    for (const result of results) this.downstream.next(result);
  }
}

/** A stage emitting `project(record)` for each record. */
export const mapStage =
  <In, Out>(project: (value: In) => Out): RecordStage<In, Out> =>
  (downstream, operatorId) =>
    new MapStage(project, downstream, operatorId);

/** A stage passing the records for which `predicate` holds. */
export const filterStage =
  <T>(predicate: (value: T) => boolean): RecordStage<T, T> =>
  (downstream, operatorId) =>
    new FilterStage(predicate, downstream, operatorId);

/** A stage emitting every result of `project(record)`, in order. */
export const flatMapStage =
  <In, Out>(project: (value: In) => Iterable<Out>): RecordStage<In, Out> =>
  (downstream, operatorId) =>
    new FlatMapStage(project, downstream, operatorId);

/** The end of a chain: hands its records to the subscriber after it. */
class SubscriberEmitter<T> implements Emitter<T> {
  recordsIn = 0;

  constructor(private readonly out: Subscriber<T | Marker>) {}

  next(value: T): void {
    this.recordsIn++;
    this.out.next(value);
  }
}

/**
 * Runs a fused chain on its input: markers go straight to the chain's
 * output, records into the chain's first stage. The stage is called directly
 * rather than through {@link ElementHandlers}, which spares a closure call per
 * record; a throw is attributed as {@link ElementSubscriber} does it.
 */
class ChainSubscriber<In, Out> extends RecordCountingSubscriber<In> {
  constructor(
    private readonly out: Subscriber<Out | Marker>,
    private readonly head: Emitter<In>,
    private readonly operatorId: string | undefined,
  ) {
    super(out);
  }

  protected override _next(value: In | Marker): void {
    if (value instanceof Marker) {
      this.out.next(value);
      return;
    }
    this.recordsIn++;
    try {
      this.head.next(value);
    } catch (error) {
      noteRecordFailure(error, this.operatorId, value);
      this.out.error(error);
    }
  }

  protected override _complete(): void {
    this.out.complete();
    this.unsubscribe();
  }
}

/** One stage of a chain, the operator it belongs to, and who reads the count of its input. */
export interface ChainLink {
  readonly stage: RecordStage<unknown, unknown>;
  readonly operatorId: string | undefined;
  readonly countInput: InputCounter | undefined;
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
    /** Each stage with the id of the operator it belongs to (see {@link applyingOperator}). */
    readonly stages: readonly ChainLink[],
    /** Reads the count of this chain's output where it is consumed: by the next stage, or else by the chain's end. */
    private readonly countOutput?: InputCounter,
  ) {
    super((out) => {
      const tail = new SubscriberEmitter<Out>(out);
      countOutput?.(tail);
      let head: Emitter<unknown> = tail;
      for (let i = stages.length - 1; i >= 0; i--) {
        const { stage, operatorId, countInput } = stages[i]!;
        head = stage(head, operatorId);
        countInput?.(head);
      }
      upstream.subscribe(new ChainSubscriber<unknown, Out>(out, head, stages[0]?.operatorId));
    });
  }

  /** This chain with `stage` of operator `operatorId` run after it. */
  then<Next>(stage: RecordStage<Out, Next>, operatorId: string | undefined): StatelessFlow<Next> {
    return new StatelessFlow<Next>(this.upstream, [...this.stages, { stage: stage as RecordStage<unknown, unknown>, operatorId, countInput: this.countOutput }]);
  }

  /** This chain, with the count of its output (the next operator's input) read by `counter`. */
  countedBy(counter: InputCounter): StatelessFlow<Out> {
    return new StatelessFlow<Out>(this.upstream, this.stages, counter);
  }
}

/** Apply a stateless record stage to `input`, fused with the stateless stages before it. */
export function stateless<In, Out>(input: Flow<In>, stage: RecordStage<In, Out>): Flow<Out> {
  const operatorId = applying;
  return input instanceof StatelessFlow
    ? (input as StatelessFlow<In>).then(stage, operatorId)
    : new StatelessFlow<Out>(input, [{ stage: stage as RecordStage<unknown, unknown>, operatorId, countInput: undefined }]);
}
