// The run-time mirror of the compiler's guarantee check, for callers the types do not reach (plain
// JavaScript, casts to any): it rejects what the types reject, with the same sentences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { delay, scan } from 'rxjs';
import { collectionSource, ConfigurationError, concatMap, map, memoryStore, nondeterministic, pipeline, rx, socketSink, socketSource, StatelessClaimError, union } from 'onceflow';
import type { Nondeterministic, Sink, Source } from 'onceflow';
import { applyOperator, marbles, memorySink } from 'onceflow/testing';

// Everything here deliberately goes around the types, as a JavaScript caller would.
/* eslint-disable @typescript-eslint/no-explicit-any */
const untyped = (value: unknown): any => value;
const checked = { id: 'checks', checkpoints: { interval: 1000, store: memoryStore() } };

/** An exactly-once sink that rests on idempotent writes (as Cassandra's). */
const idempotent: Sink<string, 'exactly-once', 'at-least-once', true> = {
  name: 'idempotent',
  guarantee: 'exactly-once',
  requires: 'at-least-once',
  deterministicOnly: true,
  kind: 'flushing',
  createWriter: () => ({ write() {}, flush() {}, close() {} }),
};

function throwsConfiguration(run: () => unknown, message: string): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, ConfigurationError);
    assert.is((error as Error).message, message);
    return;
  }
  assert.unreachable(`expected a ConfigurationError: ${message}`);
}

test('a misspelled pipeline option is rejected, not ignored', () => {
  throwsConfiguration(
    () => untyped(pipeline)({ id: 'x', checkpoint: { interval: 1000 } }),
    "unknown pipeline option 'checkpoint' (did you mean 'checkpoints'?); known: id, guarantee, checkpoints, restart, flowControl, logger, signals, metrics, monitor",
  );
  throwsConfiguration(
    () => untyped(pipeline)({ id: 'x', checkpoints: { interval: 1000, intervall: 5 } }),
    "unknown checkpoints option 'intervall' (did you mean 'interval'?); known: interval, store, minPause, fullEvery, timeout, maxConcurrent, tolerableFailures, replayCommittedOutput",
  );
  throwsConfiguration(
    () => untyped(pipeline)({ id: 'x', flowControl: { highWatermark: 5 } }),
    "unknown flowControl option 'highWatermark'; known: highWaterMark, lowWaterMark",
  );
});

test('a source weaker than the pipeline needs is named', () => {
  throwsConfiguration(
    () => untyped(pipeline)({ ...checked, guarantee: 'exactly-once' }).from(socketSource({ host: '127.0.0.1', port: 9 })),
    "pipeline 'checks' needs exactly-once but source 'socket' is at-most-once",
  );
  throwsConfiguration(
    () => untyped(pipeline)({ id: 'checks', guarantee: 'at-least-once' }).from(collectionSource([1])),
    "pipeline 'checks' needs at-least-once but it has no checkpoints, so it is at-most-once",
  );
});

test('a raw RxJS operator in pipe() is told to go through rx()', () => {
  const stream = pipeline(checked).from(collectionSource([1, 2]));
  throwsConfiguration(
    () => stream.pipe(map((x: number) => x), untyped(scan((n: number) => n + 1, 0))),
    "pipe() argument 2 is not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })",
  );
});

test('an idempotent sink after a nondeterministic stream names the part that made it so', () => {
  const exactly = pipeline({ ...checked, guarantee: 'exactly-once' });
  const lookedUp = exactly.from(collectionSource(['a'])).pipe(concatMap(async (s: string) => s), map((s: string) => s));
  assert.is(lookedUp.replay, 'nondeterministic: concatMap');
  throwsConfiguration(
    () => lookedUp.to(untyped(idempotent)),
    "pipeline 'checks' needs exactly-once but sink 'idempotent' is exactly-once only for a deterministic stream and concatMap makes the stream nondeterministic on replay",
  );
  const merged = union(exactly.from(collectionSource(['a'])), exactly.from(collectionSource(['b'])));
  throwsConfiguration(
    () => merged.to(untyped(idempotent)),
    "pipeline 'checks' needs exactly-once but sink 'idempotent' is exactly-once only for a deterministic stream and union makes the stream nondeterministic on replay",
  );
  const pure = exactly.from(collectionSource(['a'])).pipe(concatMap(async (s: string) => s, { deterministic: true }));
  assert.is(pure.to(idempotent).guarantee, 'exactly-once');
});

test('a source that declares itself nondeterministic on replay is named', () => {
  const splits = collectionSource(['a']);
  const interleaved: Source<string, 'exactly-once', Nondeterministic<'kinesis source'>> = { ...splits, name: 'kinesis', replay: nondeterministic('kinesis source') };
  const stream = pipeline({ ...checked, guarantee: 'exactly-once' }).from(interleaved).pipe(map((s: string) => s));
  assert.is(stream.replay, 'nondeterministic: kinesis source');
  throwsConfiguration(
    () => stream.to(untyped(idempotent)),
    "pipeline 'checks' needs exactly-once but sink 'idempotent' is exactly-once only for a deterministic stream and kinesis source makes the stream nondeterministic on replay",
  );
});

test('a sink weaker than the pipeline needs is named', () => {
  throwsConfiguration(
    () => untyped(pipeline)({ ...checked, guarantee: 'at-least-once' }).from(collectionSource(['a'])).to(untyped(socketSink({ host: '127.0.0.1', port: 9 }))),
    "pipeline 'checks' needs at-least-once but sink 'socket' delivers at-most-once",
  );
  throwsConfiguration(
    () => pipeline(checked).from(socketSource({ host: '127.0.0.1', port: 9 })).to(untyped(memorySink<string>())),
    "sink 'memory' needs exactly-once input but the stream is at-most-once",
  );
});

test('a socket sink whose acknowledgement mode comes from configuration delivers what the mode gives', () => {
  const configured = (mode: 'none' | 'line-count') => socketSink<string>({ host: '127.0.0.1', port: 9, acknowledgements: mode });
  assert.is(configured('line-count').guarantee, 'at-least-once');
  assert.is(configured('none').guarantee, 'at-most-once');
});

test('union() of streams of two pipeline() calls says so', () => {
  const first = pipeline({ id: 'first' }).from(collectionSource([1]));
  const second = pipeline({ id: 'second' }).from(collectionSource([2]));
  throwsConfiguration(
    () => union(first, second),
    "union() takes streams of one pipeline: a stream of pipeline 'first' cannot be merged with one of pipeline 'second'; call from() twice on the same pipeline instead",
  );
  const again = pipeline({ id: 'first' }).from(collectionSource([3]));
  throwsConfiguration(
    () => union(first, again),
    "union() takes streams of one pipeline: a stream of pipeline 'first' cannot be merged with one of another pipeline() call with the same id 'first'; call from() twice on the same pipeline instead",
  );
});

test('rx() weakensTo only weakens', () => {
  throwsConfiguration(
    () => rx(scan((n: number, x: number) => n + x, 0), untyped({ weakensTo: 'exactly-once' })),
    `rx() weakensTo must be 'at-least-once' or 'at-most-once' (it can only weaken), got "exactly-once"`,
  );
  throwsConfiguration(() => rx(scan((n: number, x: number) => n + x, 0), untyped({ stateless: true, weakensTo: 'at-least-once' })), 'rx() takes one claim: { stateless: true } or { weakensTo }, not both');
});

test('rx() under a stateless claim runs the operator afresh for each record, so no state outlives a record', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-b-B-c-|', { a: 1, b: 2, c: 3 });
    // scan's running sum would be 1, 3, 6; a stateless claim gives each record a fresh scan.
    const summed = rx(scan((sum: number, x: number) => sum + x, 100), { stateless: true });
    expectFlow(applyOperator(summed, input).output).toBe('-x-y-B-z-|', { x: 101, y: 102, z: 103 });
  });
});

test('rx() under a stateless claim fails an operator that does not finish with its record', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a---B-|', { a: 1 });
    const waiting = rx((source: import('rxjs').Observable<number>) => source.pipe(delay(2)), { stateless: true });
    expectFlow(applyOperator(waiting, input).output).toBe(
      '-#',
      {},
      new StatelessClaimError('an rx() operator claimed { stateless: true } but did not finish with a record while handling it (it waits, or emits later); declare { weakensTo } instead'),
    );
  });
});

test('rx() under a stateless claim passes several results of one record', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-B-|', { a: 2 });
    const twice = rx((source: import('rxjs').Observable<number>) => source.pipe((s) => s.pipe(scan((_: number, x: number) => x, 0))), { stateless: true });
    expectFlow(applyOperator(twice, input).output).toBe('-a-B-|', { a: 2 });
  });
});

test.run();
