import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { count, countWindow, dedupe, reduce, StateRegistry, timeWindow } from 'onceflow';
import type { Keyed } from 'onceflow';
import { applyOperator, marbles } from 'onceflow/testing';

const k = <V>(key: string, value: V): Keyed<string, V> => ({ key, value });

test('count emits running counts per key and snapshots them at each barrier', () => {
  let snapshots = new Map<number, unknown>();
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(count<string, string>(), cold('-a-b-a-B-a-|', { a: k('a', 'x'), b: k('b', 'y') }));
    expectFlow(run.output).toBe('-x-y-z-B-w-|', { x: k('a', 1), y: k('b', 1), z: k('a', 2), w: k('a', 3) });
    snapshots = run.snapshots;
  });
  // Taken as barrier 1 left the operator: the 'a' after it is not in it.
  assert.equal(snapshots.get(1), { accumulators: new Map([['a', 2], ['b', 1]]) });
});

test('count restored from a snapshot continues from it', () => {
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(count<string, string>(), cold('-a-b-|', { a: k('a', 'x'), b: k('b', 'y') }), { accumulators: [['a', 2], ['b', 1]] });
    expectFlow(run.output).toBe('-x-y-|', { x: k('a', 3), y: k('b', 2) });
  });
});

test('reduce folds per key without sharing accumulators between keys', () => {
  marbles(({ cold, expectFlow }) => {
    const sum = reduce<string, number, number>((acc, v) => acc + v, () => 0);
    const run = applyOperator(sum, cold('-a-b-c-|', { a: k('p', 5), b: k('q', 1), c: k('p', 2) }));
    expectFlow(run.output).toBe('-x-y-z-|', { x: k('p', 5), y: k('q', 1), z: k('p', 7) });
  });
});

test('countWindow fires tumbling windows per key and checkpoints partial ones', () => {
  let snapshots = new Map<number, unknown>();
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(countWindow<string, number>(2), cold('-a-b-B-c-|', { a: k('x', 1), b: k('x', 2), c: k('x', 3) }));
    expectFlow(run.output).toBe('---w-B---|', { w: k('x', [1, 2]) });
    snapshots = run.snapshots;
  });
  // After [1, 2] fired the pane is empty again; 3 arrived after the barrier.
  assert.equal(snapshots.get(1), { values: [], sinceFired: new Map([['x', 0]]) });
  marbles(({ cold, expectFlow }) => {
    const restored = applyOperator(countWindow<string, number>(2), cold('-c-|', { c: k('x', 4) }), { values: [['x', [3]]], sinceFired: [['x', 1]] });
    expectFlow(restored.output).toBe('-w-|', { w: k('x', [3, 4]) });
  });
});

test('countWindow slides by the given step once full', () => {
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(countWindow<string, number>(3, 1), cold('abcd|', { a: k('x', 1), b: k('x', 2), c: k('x', 3), d: k('x', 4) }));
    expectFlow(run.output).toBe('--uv|', { u: k('x', [1, 2, 3]), v: k('x', [2, 3, 4]) });
  });
});

test('timeWindow fires tumbling windows when processing time passes their end', () => {
  marbles(({ cold, expectFlow }) => {
    // Virtual time: a at 1 ms and b at 3 ms fall in [0, 5); c at 6 ms in [5, 10).
    const run = applyOperator(timeWindow<string, string>({ size: 5 }), cold('-a-b--c-|', { a: k('x', 'a'), b: k('x', 'b'), c: k('x', 'c') }));
    expectFlow(run.output).toBe('-----w--|', { w: k('x', { start: 0, end: 5, values: ['a', 'b'] }) });
  });
});

test('timeWindow emits open windows before a final barrier and restores open windows from a snapshot', () => {
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(timeWindow<string, string>({ size: 100 }), cold('-a-B|', { a: k('x', 'a') }));
    expectFlow(run.output).toBe('---B|');
  });
  marbles(({ cold, expectFlow }) => {
    const restored = applyOperator(timeWindow<string, string>({ size: 4 }), cold('------|'), {
      windows: [['0:x', { key: 'x', start: 0 }]],
      values: [['0:x', ['old']]],
    });
    expectFlow(restored.output).toBe('----w-|', { w: k('x', { start: 0, end: 4, values: ['old'] }) });
  });
});

test('dedupe passes the first record of each key, also across a restore', () => {
  let snapshots = new Map<number, unknown>();
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(dedupe<string, number>(), cold('-a-b-a-B-|', { a: k('a', 1), b: k('b', 2) }));
    expectFlow(run.output).toBe('-a-b---B-|', { a: k('a', 1), b: k('b', 2) });
    snapshots = run.snapshots;
  });
  const saved = snapshots.get(1) as { seen: Map<string, number> };
  assert.equal([...saved.seen.keys()], ['a', 'b']);
  marbles(({ cold, expectFlow }) => {
    const restored = applyOperator(dedupe<string, number>(), cold('-a-c-|', { a: k('a', 9), c: k('c', 3) }), saved);
    expectFlow(restored.output).toBe('---c-|', { c: k('c', 3) });
  });
});

test('dedupe with a ttl forgets keys after it and drops them from snapshots', () => {
  marbles(({ cold, expectFlow }) => {
    const run = applyOperator(dedupe<string, number>({ ttl: 3 }), cold('a-a-a-B|', { a: k('a', 1) }));
    expectFlow(run.output).toBe('a---a-B|', { a: k('a', 1) });
  });
});

test('window and dedupe options are validated', () => {
  assert.throws(() => countWindow(0), /size/);
  assert.throws(() => countWindow(2, 3), /slide/);
  assert.throws(() => timeWindow({ size: 0 }), /size/);
  assert.throws(() => dedupe({ ttl: -1 }), /ttl/);
});

test('keyed list state: a snapshot keeps the lists as they were at its barrier, and later appends copy a list once', () => {
  const registry = new StateRegistry(undefined);
  const lists = registry.list<string, number>('l');
  lists.append('a', 1);
  lists.append('a', 2);
  const first = registry.snapshot();
  lists.append('a', 3);
  lists.append('b', 9);
  const heldBefore = lists.get('a');
  lists.append('a', 4);
  assert.is(lists.get('a'), heldBefore, 'within one checkpoint interval a list grows in place');
  assert.equal(first, { l: [['a', [1, 2]]] }, 'the earlier snapshot did not change');
  assert.equal(registry.snapshot(), { l: [['a', [1, 2, 3, 4]], ['b', [9]]] });
  const restored = new StateRegistry({ l: [['a', [1, 2]]] }).list<string, number>('l');
  restored.append('a', 3);
  assert.equal(restored.get('a'), [1, 2, 3]);
});

test('keyed map state: entries per key survive a snapshot and restore', () => {
  const registry = new StateRegistry(undefined);
  const maps = registry.map<string, string, number>('m');
  maps.set('k', 'x', 1);
  maps.set('k', 'y', 2);
  maps.set('j', 'z', 3);
  maps.delete('j', 'z');
  const snapshot = registry.snapshot();
  assert.equal(snapshot, { m: [['k', [['x', 1], ['y', 2]]]] });
  const restored = new StateRegistry(snapshot).map<string, string, number>('m');
  assert.is(restored.get('k', 'y'), 2);
  assert.equal([...restored.keys()], ['k']);
});

test.run();
