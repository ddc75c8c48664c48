import { test } from 'uvu';
import { Watermark } from 'onceflow';
import { marbles } from 'onceflow/testing';
import { alignBarriers } from '../../src/runtime/alignment.js';

test('records after a barrier wait until every input delivered it', () => {
  marbles(({ cold, expectFlow }) => {
    const fast = cold('a-B-b-c----|', { a: 'a', b: 'b', c: 'c' });
    const slow = cold('-x-----B-----y|', { x: 'x', y: 'y' });
    // b and c arrive after fast's barrier, so they are held until slow's barrier at frame 7.
    expectFlow(alignBarriers([fast, slow])).toBe('ax-----(Bbc)-y|', { a: 'a', b: 'b', c: 'c', x: 'x', y: 'y' });
  });
});

test('each barrier is emitted once, in order, across several checkpoints', () => {
  marbles(({ cold, expectFlow }) => {
    const one = cold('-B-B---a-|', { a: 1 });
    const two = cold('--B--B--b-|', { b: 2 });
    expectFlow(alignBarriers([one, two])).toBe('--B--B-ab-|', { a: 1, b: 2 });
  });
});

test('a completed input no longer holds back alignment', () => {
  marbles(({ cold, expectFlow }) => {
    // 'a' is held behind barrier 1 until the other input completes without delivering it.
    const running = cold('-B-a-----|', { a: 1 });
    const ended = cold('----|');
    expectFlow(alignBarriers([running, ended])).toBe('----(Ba)-|', { a: 1 });
  });
});

test('an error on any input fails the union', () => {
  marbles(({ cold, expectFlow }) => {
    expectFlow(alignBarriers([cold('-a--|', { a: 1 }), cold('--#', {}, new Error('down'))])).toBe('-a#', { a: 1 }, new Error('down'));
  });
});

test('watermarks come out as the minimum over the inputs', () => {
  marbles(({ cold, expectFlow }) => {
    const w = (t: number) => new Watermark(t);
    const one = cold('-p---q-|', { p: w(10), q: w(30) });
    const two = cold('---r---|', { r: w(20) });
    expectFlow(alignBarriers([one, two])).toBe('---x-y-|', { x: w(10), y: w(20) });
  });
});

test.run();
