// A reader learns of the final checkpoint's completion before it is closed: a queue acknowledges,
// a consumer group commits, on that call, so a reader closed first would leave everything of the
// last checkpoint unacknowledged (found by the RabbitMQ benchmark: a drained job left its messages in the queue).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryStore, pipeline } from 'onceflow';
import type { Source, SourceSplit } from 'onceflow';
import { memorySink } from 'onceflow/testing';

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
  const handle = pipeline({ id: 'close-order', checkpoints: { interval: 20, store: memoryStore() }, logger: { debug() {}, info() {}, warn() {}, error() {} }, signals: false })
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

test.run();
