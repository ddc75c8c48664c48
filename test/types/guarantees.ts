// Type-level rules of guarantees. `npm test` compiles this file: each line after an
// expect-error directive must fail to compile, and every other line must compile.
// The text after each directive is part of the compiler's message on that line
// (test/unit/type-messages.test.ts checks it).
import { concatMap, filter, flatMap, keyBy, map, pipeline, rx, union } from 'onceflow';
import type { Job, Satisfies, Stream, Weakest } from 'onceflow';
import { scan } from 'rxjs';
import { cassandraLike, expect, kafkaLike, kinesisLike, socketLike, stdoutLike, twoPhaseCommit } from './fixtures.js';
import type { Equal, ToMessage } from './fixtures.js';

// The lattice.
expect<Equal<Weakest<'exactly-once', 'at-least-once'>, 'at-least-once'>>();
expect<Equal<Weakest<'at-most-once', 'exactly-once'>, 'at-most-once'>>();
expect<Equal<Weakest<'at-least-once', 'at-least-once'>, 'at-least-once'>>();
expect<Equal<Satisfies<'exactly-once', 'at-least-once'>, true>>();
expect<Equal<Satisfies<'at-least-once', 'exactly-once'>, false>>();
expect<Equal<Satisfies<'at-most-once', 'at-most-once'>, true>>();

const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;

// The end-to-end guarantee of a job is inferred as the weakest part.
const exact = pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length)).pipe(map(String)).to(twoPhaseCommit);
expect<Equal<typeof exact, Job<'exactly-once'>>>();
const atLeast = pipeline(checked).from(kafkaLike).to(stdoutLike);
expect<Equal<typeof atLeast, Job<'at-least-once'>>>();
const atMost = pipeline(checked).from(socketLike).to(stdoutLike);
expect<Equal<typeof atMost, Job<'at-most-once'>>>();

// Operator chains that keep the guarantee.
const chained = pipeline(checked)
  .from(kafkaLike)
  .pipe(
    map((s: string) => s.trim()),
    filter((s) => s.length > 0),
    flatMap((s) => s.split(' ')),
    keyBy((w) => w),
    concatMap(async (k) => `${k.key}`, { deterministic: true }),
  );
expect<Equal<typeof chained, Stream<string, 'exactly-once', 'deterministic', 'at-most-once'>>>();

// An at-most-once source cannot feed a sink that needs exactly-once input.
const lossy = pipeline(checked).from(socketLike);
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
lossy.to(twoPhaseCommit);
expect<Equal<ToMessage<typeof lossy, typeof twoPhaseCommit>, 'sink needs exactly-once input but the stream is at-most-once'>>();

// A declared guarantee rejects a weaker source...
// @ts-expect-error pipeline needs exactly-once but the source is at-most-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(socketLike);
// ...and a weaker sink...
const exactlyOnceKafka = pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike);
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
exactlyOnceKafka.to(stdoutLike);
expect<Equal<ToMessage<typeof exactlyOnceKafka, typeof stdoutLike>, 'pipeline needs exactly-once but the sink delivers at-least-once'>>();
// ...but accepts what meets it.
expect<Equal<ToMessage<typeof exactlyOnceKafka, typeof twoPhaseCommit>, 'no violation'>>();
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).to(twoPhaseCommit);
pipeline({ ...checked, guarantee: 'at-least-once' }).from(kafkaLike).to(stdoutLike);

// A pipeline without checkpoints is at-most-once whatever its source.
const unchecked = pipeline({ id: 'types' }).from(kafkaLike);
expect<Equal<typeof unchecked, Stream<string, 'at-most-once', 'deterministic', 'at-most-once'>>>();
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
unchecked.to(twoPhaseCommit);
// @ts-expect-error pipeline needs at-least-once but has no checkpoints, so it is at-most-once
pipeline({ id: 'types', guarantee: 'at-least-once' }).from(kafkaLike);

// The escape hatch: a raw RxJS operator is not an operator, and the message says what to do...
// @ts-expect-error not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })
pipeline(checked).from(kafkaLike).pipe(scan((n: number) => n + 1, 0));
// ...also further down a chain...
// @ts-expect-error not an Operator: wrap a raw RxJS operator in rx(
pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length), scan((n: number) => n + 1, 0));
// ...a stateless claim keeps the guarantee...
const stateless = pipeline(checked).from(kafkaLike).pipe(rx(map1(), { stateless: true })).to(twoPhaseCommit);
expect<Equal<typeof stateless, Job<'exactly-once'>>>();
// ...and a stateful one weakens it, which the declared guarantee then rejects.
const weakened = pipeline(checked).from(kafkaLike).pipe(rx(scan((n: number) => n + 1, 0), { weakensTo: 'at-least-once' }));
expect<Equal<typeof weakened, Stream<number, 'at-least-once', 'nondeterministic: rx', 'at-most-once'>>>();
// @ts-expect-error sink needs exactly-once input but the stream is at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(rx(scan((n: number, s: string) => n + s.length, 0), { weakensTo: 'at-least-once' }), map(String)).to(twoPhaseCommit);
// @ts-expect-error pipeline needs exactly-once but the stream is at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(rx(scan((n: number, s: string) => n + s.length, 0), { weakensTo: 'at-least-once' }), map(String)).to(stdoutLike);
// weakensTo only weakens: a stateful operator cannot claim exactly-once.
// @ts-expect-error rx() weakensTo can only weaken, to 'at-least-once' or 'at-most-once': the operator's state is not in checkpoints
rx(scan((n: number, s: string) => n + s.length, 0), { weakensTo: 'exactly-once' });
// A configured weakening counts as the weakest it may be.
declare const configuredWeakening: 'at-least-once' | 'at-most-once';
const configured = pipeline(checked).from(kafkaLike).pipe(rx(scan((n: number, s: string) => n + s.length, 0), { weakensTo: configuredWeakening }));
expect<Equal<typeof configured, Stream<number, 'at-most-once', 'nondeterministic: rx', 'at-most-once'>>>();
// One claim at a time.
// @ts-expect-error rx() takes one claim: { stateless: true } or { weakensTo }, not both
rx(map1(), { stateless: true, weakensTo: 'at-least-once' });

// Idempotent sinks: exactly-once only for a stream deterministic on replay.
const idempotent = pipeline(checked).from(kafkaLike).to(cassandraLike);
expect<Equal<typeof idempotent, Job<'exactly-once'>>>();
// A lookup in another system (concatMap) is nondeterministic unless the caller says otherwise...
const lookedUp = pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(concatMap(async (s: string) => s.length), map(String));
expect<Equal<typeof lookedUp, Stream<string, 'exactly-once', 'nondeterministic: concatMap', 'exactly-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink is exactly-once only for a deterministic stream and concatMap makes the stream nondeterministic on replay
lookedUp.to(cassandraLike);
expect<
  Equal<
    ToMessage<typeof lookedUp, typeof cassandraLike>,
    'pipeline needs exactly-once but the sink is exactly-once only for a deterministic stream and concatMap makes the stream nondeterministic on replay'
  >
>();
const lookedUpAtLeast = pipeline(checked).from(kafkaLike).pipe(concatMap(async (s: string) => s)).to(cassandraLike);
expect<Equal<typeof lookedUpAtLeast, Job<'at-least-once'>>>();
// ...and deterministic when the caller says so.
const pureLookup = pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(concatMap(async (s: string) => s, { deterministic: true })).to(cassandraLike);
expect<Equal<typeof pureLookup, Job<'exactly-once'>>>();
// A source can declare itself nondeterministic on replay, and the message names it...
const fromKinesis = pipeline({ ...checked, guarantee: 'exactly-once' }).from(kinesisLike).pipe(map((s: string) => s));
expect<Equal<typeof fromKinesis, Stream<string, 'exactly-once', 'nondeterministic: kinesis source', 'exactly-once'>>>();
// @ts-expect-error the sink is exactly-once only for a deterministic stream and kinesis source makes the stream nondeterministic on replay
fromKinesis.to(cassandraLike);
// ...and the first culprit is the one named.
const twoCulprits = fromKinesis.pipe(concatMap(async (s: string) => s));
expect<Equal<typeof twoCulprits, Stream<string, 'exactly-once', 'nondeterministic: kinesis source', 'exactly-once'>>>();
// A two-phase-commit sink does not care about replay: it commits what one attempt wrote.
fromKinesis.to(twoPhaseCommit);

// union: the weakest input, nondeterministic, any number of inputs.
const p = pipeline(checked);
const merged = union(p.from(kafkaLike), p.from(socketLike));
expect<Equal<typeof merged, Stream<string, 'at-most-once', 'nondeterministic: union', 'at-most-once'>>>();
const exactUnion = union(p.from(kafkaLike), p.from(kafkaLike).pipe(map((s: string) => s.length)));
expect<Equal<typeof exactUnion, Stream<string | number, 'exactly-once', 'nondeterministic: union', 'at-most-once'>>>();
const six = union(p.from(kafkaLike), p.from(kafkaLike), p.from(kafkaLike), p.from(kafkaLike), p.from(kafkaLike), p.from(kafkaLike).pipe(map((s: string) => s.length > 1)));
expect<Equal<typeof six, Stream<string | boolean, 'exactly-once', 'nondeterministic: union', 'at-most-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink is exactly-once only for a deterministic stream and union makes the stream nondeterministic on replay
union(exactlyOnceKafka, exactlyOnceKafka).to(cassandraLike);
// @ts-expect-error Expected at least 2 arguments, but got 1
union(p.from(kafkaLike));

// Keys are compared by value, so objects are not keys.
// @ts-expect-error is not assignable to type 'Key'
keyBy((s: string) => ({ s }));

// A pipe() error leads with the real cause: the argument at fault, not "no overload matches".
// @ts-expect-error ^Argument of type 'Operator<number, number, "exactly-once", "deterministic">' is not assignable to parameter of type
pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length), map((n: number) => n + 1), map((s: string) => s.length));
// @ts-expect-error ^Argument of type 'OperatorFunction<number | Marker, number>' is not assignable to parameter of type 'GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(
pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length), map((n: number) => n + 1), map((n: number) => n + 1), map((n: number) => n + 1), map((n: number) => n + 1), scan((n: number) => n + 1, 0));

// Records keep their types through the chain.
// @ts-expect-error Type 'string' is not assignable to type 'number'
pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length)).to(stdoutLike);

function map1() {
  return (source: import('rxjs').Observable<string>) => source;
}
