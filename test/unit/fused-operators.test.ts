import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Observable } from 'rxjs';
import { count, filter, flatMap, keyBy, map, StateRegistry } from 'onceflow';
import type { Flow, Operator } from 'onceflow';
import { marbles } from 'onceflow/testing';
import { applyingOperator, recordFailures, StatelessFlow } from '../../src/contracts/operate.js';

/** Apply `operator` as the runtime does a stateless one: its output as it is. */
function apply<In, Out>(operator: Operator<In, Out>, input: Flow<In>): Flow<Out> {
  return operator(input, { id: 'test', state: new StateRegistry(undefined), inFlight: () => {} });
}

test('adjacent stateless operators run as one chain under one subscriber', () => {
  let subscriptions = 0;
  const source: Flow<number> = new Observable((out) => {
    subscriptions++;
    [1, 2, 3].forEach((x) => out.next(x));
    out.complete();
  });
  const chain = apply(
    keyBy((x: number) => x % 2),
    apply(
      flatMap((x: number) => [x, x]),
      apply(
        filter((x: number) => x !== 4),
        apply(
          map((x: number) => x * 2),
          source,
        ),
      ),
    ),
  );
  assert.instance(chain, StatelessFlow);
  assert.is((chain as StatelessFlow<unknown>).stages.length, 4, 'four operators, one chain');
  assert.is((chain as StatelessFlow<unknown>).upstream, source);
  const seen: unknown[] = [];
  chain.subscribe((x) => seen.push(x));
  assert.is(subscriptions, 1);
  assert.equal(seen, [
    { key: 0, value: 2 },
    { key: 0, value: 2 },
    { key: 0, value: 6 },
    { key: 0, value: 6 },
  ]);
});

test('barriers leave a fused chain in order with the records around them', () => {
  marbles(({ cold, expectFlow }) => {
    const input = cold('-a-B-b----c-B-d-|', { a: 1, b: 2, c: 3, d: 4 });
    const chain = apply(
      flatMap((x: number) => (x === 3 ? [x, x + 10] : [x])),
      apply(
        filter((x: number) => x !== 2),
        apply(
          map((x: number) => x + 1),
          input,
        ),
      ),
    );
    // 1 becomes 2 and is dropped; 2 becomes 3 and is doubled into 3 and 13.
    expectFlow(chain).toBe('---B-(bx)-c-B-d-|', { b: 3, x: 13, c: 4, d: 5 });
  });
});

test('a stateful operator ends the chain: the stateless ones after it start a new one', () => {
  const source: Flow<number> = new Observable((out) => out.complete());
  const counted = apply(count<number, number>(), apply(keyBy((x: number) => x), source));
  assert.not.instance(counted, StatelessFlow);
  const after = apply(
    map(({ value }: { value: number }) => value),
    counted,
  );
  assert.instance(after, StatelessFlow);
  assert.is((after as StatelessFlow<unknown>).stages.length, 1);
});

test('a throw inside a fused chain fails the flow', () => {
  marbles(({ cold, expectFlow }) => {
    const boom = new Error('boom');
    const chain = apply(
      map((x: number) => {
        if (x === 2) throw boom;
        return x;
      }),
      apply(
        filter(() => true),
        cold<number>('-a-b-c-|', { a: 1, b: 2, c: 3 }),
      ),
    );
    expectFlow(chain).toBe('-a-#', { a: 1 }, boom);
  });
});

test('a throw inside a fused chain is attributed to the operator that threw and its record', () => {
  const boom = new Error('boom');
  const source: Flow<number> = new Observable((out) => {
    [1, 2, 3].forEach((x) => out.next(x));
    out.complete();
  });
  const first = applyingOperator('0-map', () => apply(map((x: number) => x * 10), source));
  const chain = applyingOperator('1-filter', () =>
    apply(
      filter((x: number) => {
        if (x === 20) throw boom;
        return true;
      }),
      first,
    ),
  );
  let failed: unknown;
  chain.subscribe({ error: (error: unknown) => (failed = error) });
  assert.is(failed, boom);
  assert.equal(recordFailures.get(boom), { operatorId: '1-filter', record: 20 });
});

test.run();
