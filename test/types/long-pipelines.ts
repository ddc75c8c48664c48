// Pipelines as users write them: long pipe() chains with lambdas typed from context, generic helpers
// that add an operator, unions of many streams. Everything here must compile.
import { filter, flatMap, keyBy, map, pipeline, union } from 'onceflow';
import type { Guarantee, Job, Replay, Stream } from 'onceflow';
import { expect, kafkaLike, socketLike, twoPhaseCommit } from './fixtures.js';
import type { Equal } from './fixtures.js';

const exactly = pipeline({ id: 'types', guarantee: 'exactly-once', checkpoints: { interval: 1000 } });

// Twelve operators, every lambda typed by the operator before it.
const twelve = exactly
  .from(kafkaLike)
  .pipe(
    map((s) => s.trim()),
    filter((s) => s.length > 0),
    map((s) => s.toUpperCase()),
    flatMap((s) => s.split(' ')),
    map((w) => w.length),
    filter((n) => n > 2),
    map((n) => n * 2),
    map((n) => ({ n })),
    filter(({ n }) => n % 3 !== 0),
    keyBy(({ n }) => n % 10),
    map(({ key, value }) => `${key}:${value.n}`),
    map((line) => line.padStart(8)),
  );
expect<Equal<typeof twelve, Stream<string, 'exactly-once', 'deterministic', 'exactly-once'>>>();

// Sixteen in one call, the most one call takes; pipe() again for more, typed the same.
const twentyThree = exactly
  .from(kafkaLike)
  .pipe(
    map((s) => s.length), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1),
    map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1),
    map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => `${n}`),
  )
  .pipe(map((s) => s.length), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n + 1), map((n) => n > 10), map((b) => (b ? 'long' : 'short')))
  .pipe(filter((s) => s.length > 0));
expect<Equal<typeof twentyThree, Stream<'long' | 'short', 'exactly-once', 'deterministic', 'exactly-once'>>>();
const job = twentyThree.to(twoPhaseCommit);
expect<Equal<typeof job, Job<'exactly-once'>>>();

// A generic helper that pipes an exactly-once deterministic operator keeps the stream's type.
function withLogging<T, G extends Guarantee>(s: Stream<T, G>): Stream<T, G> {
  return s.pipe(
    map((record) => {
      console.log(record);
      return record;
    }),
  );
}
// ...also with every type parameter of the stream generic, and several operators.
function trimmed<G extends Guarantee, R extends Replay, Need extends Guarantee>(s: Stream<string, G, R, Need>): Stream<string, G, R, Need> {
  return s.pipe(
    map((line) => line.trim()),
    filter((line) => line.length > 0),
  );
}
const logged = withLogging(pipeline({ id: 'types', checkpoints: { interval: 1000 } }).from(kafkaLike));
expect<Equal<typeof logged, Stream<string, 'exactly-once', 'deterministic', 'at-most-once'>>>();
const loggedLossy = withLogging(pipeline({ id: 'types', checkpoints: { interval: 1000 } }).from(socketLike));
expect<Equal<typeof loggedLossy, Stream<string, 'at-most-once', 'deterministic', 'at-most-once'>>>();
trimmed(exactly.from(kafkaLike)).to(twoPhaseCommit);

// union of any number of streams.
const p = pipeline({ id: 'types', checkpoints: { interval: 1000 } });
const eight = union(
  p.from(kafkaLike),
  p.from(kafkaLike),
  p.from(kafkaLike),
  p.from(kafkaLike),
  p.from(kafkaLike),
  p.from(kafkaLike),
  p.from(kafkaLike),
  p.from(kafkaLike).pipe(map((s) => s.length)),
);
expect<Equal<typeof eight, Stream<string | number, 'exactly-once', 'nondeterministic: union', 'at-most-once'>>>();
