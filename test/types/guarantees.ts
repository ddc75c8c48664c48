// Type-level rules of guarantees. `npm test` compiles this file: each line after an
// expect-error directive must fail to compile, and every other line must compile.
import { concatMap, filter, flatMap, keyBy, map, pipeline, rx, union } from 'onceflow';
import type { Job, Satisfies, Stream, Weakest } from 'onceflow';
import { scan } from 'rxjs';
import { cassandraLike, kafkaLike, socketLike, stdoutLike, twoPhaseCommit } from './fixtures.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

// The lattice.
expectType<Equal<Weakest<'exactly-once', 'at-least-once'>, 'at-least-once'>>();
expectType<Equal<Weakest<'at-most-once', 'exactly-once'>, 'at-most-once'>>();
expectType<Equal<Satisfies<'exactly-once', 'at-least-once'>, true>>();
expectType<Equal<Satisfies<'at-least-once', 'exactly-once'>, false>>();

const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;

// The end-to-end guarantee of a job is inferred as the weakest part.
const exact = pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length)).pipe(map(String)).to(twoPhaseCommit);
expectType<Equal<typeof exact, Job<'exactly-once'>>>();
const atLeast = pipeline(checked).from(kafkaLike).to(stdoutLike);
expectType<Equal<typeof atLeast, Job<'at-least-once'>>>();
const atMost = pipeline(checked).from(socketLike).to(stdoutLike);
expectType<Equal<typeof atMost, Job<'at-most-once'>>>();

// Operator chains that keep the guarantee.
const chained = pipeline(checked)
  .from(kafkaLike)
  .pipe(
    map((s: string) => s.trim()),
    filter((s) => s.length > 0),
    flatMap((s) => s.split(' ')),
    keyBy((w) => w),
    concatMap(async (k) => `${k.key}`),
  );
expectType<Equal<typeof chained, Stream<string, 'exactly-once', 'deterministic', 'at-most-once'>>>();

// An at-most-once source cannot feed a sink that needs exactly-once input.
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
pipeline(checked).from(socketLike).to(twoPhaseCommit);

// A declared guarantee rejects a weaker source...
// @ts-expect-error pipeline needs exactly-once but the source is at-most-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(socketLike);
// ...and a weaker sink...
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).to(stdoutLike);
// ...but accepts what meets it.
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).to(twoPhaseCommit);
pipeline({ ...checked, guarantee: 'at-least-once' }).from(kafkaLike).to(stdoutLike);

// A pipeline without checkpoints is at-most-once whatever its source.
const unchecked = pipeline({ id: 'types' }).from(kafkaLike);
expectType<Equal<typeof unchecked, Stream<string, 'at-most-once', 'deterministic', 'at-most-once'>>>();
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
unchecked.to(twoPhaseCommit);
// @ts-expect-error pipeline needs at-least-once but has no checkpoints, so it is at-most-once
pipeline({ id: 'types', guarantee: 'at-least-once' }).from(kafkaLike);

// The escape hatch: a raw RxJS operator is not an operator...
// @ts-expect-error a raw RxJS operator must go through rx()
pipeline(checked).from(kafkaLike).pipe(scan((n: number) => n + 1, 0));
// ...a stateless claim keeps the guarantee...
const stateless = pipeline(checked).from(kafkaLike).pipe(rx(map1(), { stateless: true })).to(twoPhaseCommit);
expectType<Equal<typeof stateless, Job<'exactly-once'>>>();
// ...and a stateful one weakens it, which the declared guarantee then rejects.
const weakened = pipeline(checked).from(kafkaLike).pipe(rx(scan((n: number) => n + 1, 0), { weakensTo: 'at-least-once' }));
expectType<Equal<typeof weakened, Stream<number, 'at-least-once', 'nondeterministic', 'at-most-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the stream is at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(rx(scan((n: number, s: string) => n + s.length, 0), { weakensTo: 'at-least-once' }), map(String)).to(twoPhaseCommit);

// Idempotent sinks: exactly-once only for a stream deterministic on replay.
const idempotent = pipeline(checked).from(kafkaLike).to(cassandraLike);
expectType<Equal<typeof idempotent, Job<'exactly-once'>>>();
const nondeterministic = pipeline(checked).from(kafkaLike).pipe(rx(map1(), { weakensTo: 'exactly-once' })).to(cassandraLike);
expectType<Equal<typeof nondeterministic, Job<'at-least-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink is exactly-once only for a deterministic stream
pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(rx(map1(), { weakensTo: 'exactly-once' })).to(cassandraLike);

// union: the weakest input, nondeterministic, same record type.
const p = pipeline(checked);
const merged = union(p.from(kafkaLike), p.from(socketLike));
expectType<Equal<typeof merged, Stream<string, 'at-most-once', 'nondeterministic', 'at-most-once'>>>();
const exactUnion = union(p.from(kafkaLike), p.from(kafkaLike).pipe(map((s: string) => s.toUpperCase())));
expectType<Equal<typeof exactUnion, Stream<string, 'exactly-once', 'nondeterministic', 'at-most-once'>>>();

// Keys are compared by value, so objects are not keys.
// @ts-expect-error an object is not a Key
keyBy((s: string) => ({ s }));

// Records keep their types through the chain.
// @ts-expect-error a number stream cannot go into a string sink
pipeline(checked).from(kafkaLike).pipe(map((s: string) => s.length)).to(stdoutLike);

function map1() {
  return (source: import('rxjs').Observable<string>) => source;
}
