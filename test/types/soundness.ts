// Where the compiler cannot see a literal guarantee (a union, the wide `Guarantee`, `any`, an
// optional field), what a part gives counts as the weakest it may be and what a part needs as the
// strongest. The text after each expect-error directive is part of the compiler's message.
import { map, pipeline } from 'onceflow';
import type { CheckpointOptions, Guarantee, Job, Operator, Pipeline, PipelineOptions, Replay, Sink, Source, SourceCheck, Stream } from 'onceflow';
import { cassandraLike, expect, kafkaLike, socketLike, stdoutLike, twoPhaseCommit } from './fixtures.js';
import type { Equal, MessageOf } from './fixtures.js';

const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;

/** The message `pipeline.from(source)` fails with, computed from the types of the two values. */
type FromMessage<P, S> =
  P extends Pipeline<infer Need, infer Checked> ? ([S] extends [Source<infer _T, infer G, infer _R>] ? MessageOf<SourceCheck<G, Checked, Need>> : 'not a source') : 'not a pipeline';

// A declared guarantee that is a variable of the wide type needs the strongest it may be.
function withGuarantee(guarantee: Guarantee) {
  const declared = pipeline({ ...checked, guarantee });
  expect<Equal<FromMessage<typeof declared, typeof socketLike>, 'pipeline needs exactly-once but the source is at-most-once'>>();
  // @ts-expect-error pipeline needs exactly-once but the source is at-most-once
  declared.from(socketLike);
  return declared.from(kafkaLike);
}
withGuarantee('at-most-once');

// Options typed PipelineOptions (returned by a function, or cast): the guarantee may be exactly-once
// and the checkpoints may be absent.
declare function loadOptions(): PipelineOptions;
const loaded = pipeline(loadOptions());
expect<
  Equal<
    FromMessage<typeof loaded, typeof socketLike>,
    'pipeline needs exactly-once but its type does not say it has checkpoints (an optional or non-literal checkpoints option), so it counts as at-most-once'
  >
>();
// @ts-expect-error pipeline needs exactly-once but its type does not say it has checkpoints
loaded.from(socketLike);
// @ts-expect-error pipeline needs exactly-once but its type does not say it has checkpoints
pipeline({ ...checked, guarantee: 'at-most-once' } as PipelineOptions).from(socketLike);
// An optional field may be there.
interface MaybeExactly {
  readonly id: string;
  readonly guarantee?: 'exactly-once';
  readonly checkpoints: CheckpointOptions;
}
declare const maybeExactly: MaybeExactly;
// @ts-expect-error pipeline needs exactly-once but the source is at-most-once
pipeline(maybeExactly).from(socketLike);
// Options whose type says what they are pass.
const precise = { id: 'types', guarantee: 'exactly-once', checkpoints: { interval: 1000 } } as const satisfies PipelineOptions;
pipeline(precise).from(kafkaLike).to(twoPhaseCommit);
// `any` options need the strongest and may lack checkpoints.
declare const untyped: any; // eslint-disable-line @typescript-eslint/no-explicit-any
// @ts-expect-error pipeline needs exactly-once but its type does not say it has checkpoints
pipeline(untyped).from(kafkaLike);

// A sink held in a variable, or a registry, of the wide type needs exactly-once input and delivers at-most-once.
const wideSink: Sink<string, Guarantee, Guarantee> = twoPhaseCommit;
const sinks: Record<string, Sink<string, Guarantee, Guarantee>> = { out: twoPhaseCommit };
const lossy = pipeline(checked).from(socketLike);
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
lossy.to(wideSink);
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
lossy.to(sinks['out']!);
const intoWide = pipeline(checked).from(kafkaLike).to(wideSink);
expect<Equal<typeof intoWide, Job<'at-most-once'>>>();
// @ts-expect-error pipeline needs at-least-once but the sink delivers at-most-once
pipeline({ ...checked, guarantee: 'at-least-once' }).from(kafkaLike).to(sinks['out']!);
// A sink that may rest on idempotent writes (`boolean`) is taken to.
const maybeIdempotent: Sink<string, 'exactly-once', 'at-least-once', boolean> = cassandraLike;
const nondeterministicKafka = pipeline({ ...checked, guarantee: 'exactly-once' }).from(kafkaLike).pipe(map((s: string) => s) as Operator<string, string, 'exactly-once', Replay>);
// @ts-expect-error the sink is exactly-once only for a deterministic stream and the stream is nondeterministic on replay
nondeterministicKafka.to(maybeIdempotent);

// A stream typed with `any` gives at-most-once, needs exactly-once and is nondeterministic: a helper typed
// so cannot make a socket-to-stdout pipeline into an exactly-once job.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function finish(stream: Stream<any, any, any, any>) {
  // @ts-expect-error pipeline needs exactly-once but the stream is at-most-once
  return stream.to(stdoutLike);
}
// @ts-expect-error Type 'Job<"at-most-once">' is not assignable to type 'Job<"exactly-once">'
const notExactly: Job<'exactly-once'> = finish(lossy);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const anyStream: Stream<string, any, any, 'at-most-once'>;
const fromAny = anyStream.pipe(map((s: string) => s)).to(stdoutLike);
expect<Equal<typeof fromAny, Job<'at-most-once'>>>();

// A source chosen at run time gives the weakest of its possibilities, in one sentence.
declare const fromSocket: boolean;
const either = fromSocket ? socketLike : kafkaLike;
const exactlyOnce = pipeline({ ...checked, guarantee: 'exactly-once' });
expect<Equal<FromMessage<typeof exactlyOnce, typeof either>, 'pipeline needs exactly-once but the source is at-most-once'>>();
// @ts-expect-error pipeline needs exactly-once but the source is at-most-once
exactlyOnce.from(either);
const eitherStream = pipeline(checked).from(either);
expect<Equal<typeof eitherStream, Stream<string, 'at-most-once', 'deterministic', 'at-most-once'>>>();
// Sources and operators typed with the wide Guarantee, or any, give at-most-once.
declare const wideSource: Source<string, Guarantee>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const anySource: Source<string, any, any>;
declare const wideOperator: Operator<string, string, Guarantee>;
const fromWide = pipeline(checked).from(wideSource);
expect<Equal<typeof fromWide, Stream<string, 'at-most-once', 'deterministic', 'at-most-once'>>>();
const fromAnySource = pipeline(checked).from(anySource);
expect<Equal<typeof fromAnySource, Stream<string, 'at-most-once', 'nondeterministic', 'at-most-once'>>>();
const throughWide = pipeline(checked).from(kafkaLike).pipe(wideOperator);
expect<Equal<typeof throughWide, Stream<string, 'at-most-once', 'deterministic', 'at-most-once'>>>();
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
throughWide.to(twoPhaseCommit);

// The one way around the check: an explicit cast of a source or sink to a stronger literal type.
pipeline({ ...checked, guarantee: 'exactly-once' }).from(socketLike as unknown as Source<string, 'exactly-once'>).to(twoPhaseCommit);
lossy.to(wideSink as Sink<string, 'at-least-once'>);
