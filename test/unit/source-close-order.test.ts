// A reader learns of the final checkpoint's completion before it is closed: a queue acknowledges,
// a consumer group commits, on that call, so a reader closed first would leave everything of the
// last checkpoint unacknowledged (found by the RabbitMQ benchmark: a drained job left its messages in the queue).
// And a job that ends or restarts has closed its reader and enumerator first, however long that
// takes: a Kafka consumer still leaving its group when the next attempt's joined it was never
// disconnected (found by the connection check after the integration suites).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixedDelayRestart, memoryStore, pipeline } from 'onceflow';
import type { Source, SourceSplit } from 'onceflow';
import { memorySink } from 'onceflow/testing';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** An unbounded source of numbers that logs what its reader is told. */
function loggingSource(log: string[]): Source<number, 'exactly-once', 'deterministic', SourceSplit, number> {
  const split: SourceSplit = { splitId: 'numbers' };
  return {
    name: 'logging',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: ({ context }) => ({
      start: () => context.assignSplits([split]),
      snapshotState: () => undefined,
      close() {},
    }),
    createReader: () => {
      let next = 0;
      return {
        addSplits() {},
        async fetch() {
          await new Promise((resolve) => setTimeout(resolve, 1));
          const start = next;
          next += 10;
          return { batches: [{ splitId: split.splitId, records: Array.from({ length: 10 }, (_, i) => start + i), positionAfter: (i: number) => start + i + 1 }], finished: [] };
        },
        wakeUp() {},
        checkpointComplete(checkpointId) {
          log.push(`complete ${checkpointId}`);
        },
        close() {
          log.push('close');
        },
      };
    },
  };
}

test('a drained job tells the reader the final checkpoint completed, then closes it', async () => {
  const log: string[] = [];
  const handle = pipeline({ id: 'close-order', checkpoints: { interval: 20, store: memoryStore() }, logger: silent, signals: false })
    .from(loggingSource(log))
    .to(memorySink<number>())
    .start();
  let final = 0;
  handle.events.subscribe((e) => {
    if (e.type === 'checkpoint-completed' && e.final) final = e.checkpointId;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await handle.drain();
  assert.ok(final > 0, 'a final checkpoint completed');
  assert.ok(log.includes(`complete ${final}`), `the reader heard of final checkpoint ${final}: ${log.join(', ')}`);
  assert.ok(log.indexOf(`complete ${final}`) < log.indexOf('close'), `before it was closed: ${log.join(', ')}`);
  assert.is(log.filter((l) => l === 'close').length, 1, 'closed once');
});

/**
 * An unbounded source of numbers whose reader and enumerator take `closeMs` to close, logging
 * `open <n>` as attempt n's enumerator starts and `reader closed <n>` / `enumerator closed <n>`
 * once each has closed; the first attempt's reader fails after a few batches.
 */
function slowClosingSource(log: string[], closeMs: number, failFirstAttempt: boolean): Source<number, 'exactly-once', 'deterministic', SourceSplit, number> {
  const split: SourceSplit = { splitId: 'numbers' };
  const slowly = (line: string) => new Promise<void>((resolve) => setTimeout(() => (log.push(line), resolve()), closeMs));
  let enumerators = 0;
  let readers = 0;
  return {
    name: 'slow-closing',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: ({ context }) => {
      const attempt = ++enumerators;
      return {
        start() {
          log.push(`open ${attempt}`);
          context.assignSplits([split]);
        },
        snapshotState: () => undefined,
        close: () => slowly(`enumerator closed ${attempt}`),
      };
    },
    createReader: () => {
      const attempt = ++readers;
      let next = 0;
      return {
        addSplits() {},
        async fetch() {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (failFirstAttempt && attempt === 1 && next >= 50) throw new Error('the first attempt fails');
          const start = next;
          next += 10;
          return { batches: [{ splitId: split.splitId, records: Array.from({ length: 10 }, (_, i) => start + i), positionAfter: (i: number) => start + i + 1 }], finished: [] };
        },
        wakeUp() {},
        close: () => slowly(`reader closed ${attempt}`),
      };
    },
  };
}


test('a stopped job has closed its reader and enumerator when stop() resolves', async () => {
  const log: string[] = [];
  const handle = pipeline({ id: 'slow-close', checkpoints: { interval: 20, store: memoryStore() }, logger: silent, signals: false })
    .from(slowClosingSource(log, 30, false))
    .to(memorySink<number>())
    .start();
  await new Promise((resolve) => setTimeout(resolve, 60));
  await handle.stop();
  assert.equal(log, ['open 1', 'reader closed 1', 'enumerator closed 1']);
});

test("a restarted job's next attempt opens its source after the failed attempt closed it", async () => {
  const log: string[] = [];
  const handle = pipeline({ id: 'slow-close-restart', checkpoints: { interval: 20, store: memoryStore() }, restart: fixedDelayRestart({ attempts: 1, delay: 0 }), logger: silent, signals: false })
    .from(slowClosingSource(log, 30, true))
    .to(memorySink<number>())
    .start();
  const deadline = Date.now() + 5000;
  while (!log.includes('open 2') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  await handle.stop();
  assert.equal(log, ['open 1', 'reader closed 1', 'enumerator closed 1', 'open 2', 'reader closed 2', 'enumerator closed 2']);
});

test.run();
