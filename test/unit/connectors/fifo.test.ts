import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Fifo } from '../../../src/connectors/shared/fifo.js';

test('a Fifo gives items back in order across compactions, and take stops at what it holds', () => {
  const fifo = new Fifo<number>();
  const out: number[] = [];
  for (let i = 0; i < 5000; i++) {
    fifo.push(i);
    if (i % 3 === 0) out.push(fifo.shift() as number);
  }
  assert.is(fifo.peek(), out.length);
  out.push(...fifo.take(100));
  while (fifo.length > 0) out.push(fifo.shift() as number);
  assert.equal(out, Array.from({ length: 5000 }, (_, i) => i));
  assert.is(fifo.shift(), undefined);
  assert.equal(fifo.take(3), []);
  fifo.push(7);
  fifo.clear();
  assert.is(fifo.length, 0);
});

test.run();
