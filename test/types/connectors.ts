// Type-level rules for the file and socket connectors: what each may feed.
import { fileSink, fileSource, jsonLines, pipeline, rollingFileSink, socketSink, socketSource, stdoutSink } from 'onceflow';
import type { Job } from 'onceflow';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;

// The file source rewinds to a stored byte offset: it may feed the two-phase-commit rolling sink.
const exact = pipeline({ ...checked, guarantee: 'exactly-once' }).from(fileSource({ path: 'in' })).to(rollingFileSink<string>({ directory: 'out' }));
expectType<Equal<typeof exact, Job<'exactly-once'>>>();
// A decoder decides the record type.
const decoded = pipeline(checked).from(fileSource({ path: 'in', decoder: jsonLines<{ n: number }>() })).to(rollingFileSink<{ n: number }>({ directory: 'out' }));
expectType<Equal<typeof decoded, Job<'exactly-once'>>>();

// The socket source cannot replay what arrived during a failure...
// @ts-expect-error sink needs exactly-once input but the stream is at-most-once
pipeline(checked).from(socketSource({ host: '127.0.0.1', port: 9 })).to(rollingFileSink<string>({ directory: 'out' }));
// @ts-expect-error pipeline needs at-least-once but the source is at-most-once
pipeline({ ...checked, guarantee: 'at-least-once' }).from(socketSource({ host: '127.0.0.1', port: 9 }));
// ...so whatever it feeds is at-most-once.
const lossy = pipeline(checked).from(socketSource({ host: '127.0.0.1', port: 9 })).to(fileSink<string>({ path: 'out' }));
expectType<Equal<typeof lossy, Job<'at-most-once'>>>();

// The file sink, and the socket sink when the server acknowledges, flush on barriers: at-least-once, never exactly-once.
const atLeast = pipeline(checked).from(fileSource({ path: 'in' })).to(socketSink<string>({ host: '127.0.0.1', port: 9, acknowledgements: 'line-count' }));
expectType<Equal<typeof atLeast, Job<'at-least-once'>>>();
// Over plain TCP nothing says what the server read: at-most-once.
const plainTcp = pipeline(checked).from(fileSource({ path: 'in' })).to(socketSink<string>({ host: '127.0.0.1', port: 9 }));
expectType<Equal<typeof plainTcp, Job<'at-most-once'>>>();
// @ts-expect-error pipeline needs at-least-once but the sink delivers at-most-once
pipeline({ ...checked, guarantee: 'at-least-once' }).from(fileSource({ path: 'in' })).to(socketSink<string>({ host: '127.0.0.1', port: 9 }));
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(fileSource({ path: 'in' })).to(fileSink<string>({ path: 'out' }));
pipeline({ ...checked, guarantee: 'at-least-once' }).from(fileSource({ path: 'in' })).to(stdoutSink());

// An acknowledgement mode from configuration may be either: the pipeline counts the weaker.
declare const configuredMode: 'none' | 'line-count';
const configuredSink = socketSink<string>({ host: '127.0.0.1', port: 9, acknowledgements: configuredMode });
const configuredJob = pipeline(checked).from(fileSource({ path: 'in' })).to(configuredSink);
expectType<Equal<typeof configuredJob, Job<'at-most-once'>>>();
// @ts-expect-error pipeline needs at-least-once but the sink delivers at-most-once
pipeline({ ...checked, guarantee: 'at-least-once' }).from(fileSource({ path: 'in' })).to(configuredSink);

// A source chosen at run time: one sentence about the weakest.
declare const live: boolean;
const chosen = live ? socketSource({ host: '127.0.0.1', port: 9 }) : fileSource({ path: 'in' });
// @ts-expect-error GuaranteeViolation<"pipeline needs exactly-once but the source is at-most-once">'.
pipeline({ ...checked, guarantee: 'exactly-once' }).from(chosen);
