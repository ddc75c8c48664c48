import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { from, map as rxMap, scan, delay } from 'rxjs';
import { concatMap, filter, flatMap, keyBy, map, rx } from 'onceflow';
import { applyOperator, marbles } from 'onceflow/testing';

test('map transforms records and forwards barriers in place', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-B-b-B-c-|', { a: 1, b: 2, c: 3 });
    expectFlow(applyOperator(map((x: number) => x * 10), input).output).toBe('-x-B-y-B-z-|', { x: 10, y: 20, z: 30 });
  });
});

test('filter drops records but never barriers', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-b-B-c-d-B-|', { a: 1, b: 2, c: 3, d: 5 });
    expectFlow(applyOperator(filter((x: number) => x % 2 === 0), input).output).toBe('---b-B-----B-|', { b: 2 });
  });
});

test('flatMap emits every result of a record before the next barrier', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a----B-b-|', { a: 'xy', b: '' });
    expectFlow(applyOperator(flatMap((s: string) => s.split('')), input).output).toBe('-(xy)-B---|', { x: 'x', y: 'y' });
  });
});

test('a failing projection fails the flow', () => {
  marbles(({ cold, expectFlow }) => {
    const boom = new Error('boom');
    const failing = map((x: number) => {
      if (x === 2) throw boom;
      return x;
    });
    expectFlow(applyOperator(failing, cold('-a-b-c-|', { a: 1, b: 2, c: 3 })).output).toBe('-a-#', { a: 1 }, boom);
  });
});

test('concatMap keeps order and holds a barrier until the records before it are done', () => {
  marbles(({ cold, expectFlow }) => {
    // Each record takes 3 frames; the barrier arrives while 'a' is still in progress.
    const slow = concatMap((x: number) => from([x]).pipe(delay(5)));
    const input = cold('ab-B-c-|', { a: 1, b: 2, c: 3 });
    expectFlow(applyOperator(slow, input).output).toBe('-----a----(bB)-(c|)', { a: 1, b: 2, c: 3 });
  });
});

test('concatMap reports queued records as in flight and releases them', async () => {
  const applied = applyOperator(
    concatMap((x: number) => new Promise<number>((resolve) => setTimeout(() => resolve(x), 1))),
    from([1, 2, 3, 4]),
  );
  const seen: unknown[] = [];
  const done = new Promise<void>((resolve) => applied.output.subscribe({ next: (v) => seen.push(v), complete: resolve }));
  assert.ok(applied.inFlight() > 0, 'records waiting behind the first count as in flight');
  await done;
  assert.equal(seen, [1, 2, 3, 4]);
  assert.is(applied.inFlight(), 0);
});

test('keyBy pairs each record with its key', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-B-b-|', { a: 'apple', b: 'berry' });
    expectFlow(applyOperator(keyBy((s: string) => s[0] ?? ''), input).output).toBe('-x-B-y-|', {
      x: { key: 'a', value: 'apple' },
      y: { key: 'b', value: 'berry' },
    });
  });
});

test('rx() admits a stateless RxJS operator and routes barriers around it', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-B-b-|', { a: 1, b: 2 });
    expectFlow(applyOperator(rx(rxMap((x: number) => x + 1), { stateless: true }), input).output).toBe('-x-B-y-|', { x: 2, y: 3 });
  });
});

test('rx() with weakensTo runs a stateful operator as it is', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-B-b-|', { a: 1, b: 2 });
    const running = rx(scan((sum: number, x: number) => sum + x, 0), { weakensTo: 'at-most-once' });
    expectFlow(applyOperator(running, input).output).toBe('-x-B-y-|', { x: 1, y: 3 });
  });
});

test.run();
