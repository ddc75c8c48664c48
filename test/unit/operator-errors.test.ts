import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, filter, fixedDelayRestart, JobFailedError, map, memoryStore, OperatorError, pipeline } from 'onceflow';
import type { JobEvent } from 'onceflow';
import { memorySink } from 'onceflow/testing';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
interface Order {
  readonly id: number;
  readonly note: string;
}
const orders: Order[] = Array.from({ length: 1_000 }, (_, id) => ({ id, note: id === 700 ? 'x'.repeat(100_000) : 'ok' }));

function parse(order: Order): Order {
  if (order.note.length > 10) throw new Error('note too long');
  return order;
}

async function failureOf(promise: Promise<unknown>): Promise<JobFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, JobFailedError);
  return error as JobFailedError;
}

test('an operator throwing on a poison record fails naming the operator and a bounded preview of the record', async () => {
  const error = await failureOf(
    pipeline({ id: 'poison', checkpoints: { interval: 5, store: memoryStore() }, logger: quiet })
      .from(collectionSource(orders))
      .pipe(
        filter((o: Order) => o.id >= 0),
        map(parse),
      )
      .to(memorySink<Order>())
      .run(),
  );
  const cause = error.cause;
  assert.instance(cause, OperatorError);
  const operatorError = cause as OperatorError;
  assert.is(operatorError.operatorId, '1-map');
  assert.match(operatorError.message, /^operator 1-map failed on record \{ id: 700, note: 'xxxx/);
  assert.match(operatorError.message, /: note too long$/);
  assert.ok(operatorError.message.length < 400, `bounded: ${operatorError.message.length} characters`);
  assert.match(error.message, /operator 1-map failed on record/);
});

test('an upstream failure passes through later operators unchanged', async () => {
  const error = await failureOf(
    pipeline({ id: 'upstream', checkpoints: { interval: 5, store: memoryStore() }, logger: quiet })
      .from(collectionSource(orders))
      .pipe(
        map(parse),
        map((o: Order) => o.id),
      )
      .to(memorySink<number>())
      .run(),
  );
  assert.is((error.cause as OperatorError).operatorId, '0-map');
});

test('the same failure at the same record after a restart is deterministic: the job stops instead of using every attempt', async () => {
  const events: JobEvent[] = [];
  const handle = pipeline({ id: 'deterministic', checkpoints: { interval: 5, store: memoryStore() }, restart: fixedDelayRestart({ attempts: 10, delay: 0 }), logger: quiet })
    .from(collectionSource(orders, { chunkSize: 10 }))
    .pipe(map(parse))
    .to(memorySink<Order>())
    .start();
  handle.events.subscribe((e) => events.push(e));
  const error = await failureOf(handle.done);
  assert.is(error.attempts, 2);
  assert.match(error.message, /fails deterministically: the same failure at the same place after a restart/);
  assert.match(error.message, /operator 0-map failed on record \{ id: 700/);
  assert.is(events.filter((e) => e.type === 'restarting').length, 1);
});

test('the operator error says which source split the record came from, and the position to replay it from', async () => {
  const error = await failureOf(
    pipeline({ id: 'origin', checkpoints: { interval: 5, store: memoryStore() }, logger: quiet })
      .from(collectionSource(orders, { chunkSize: 64 }))
      .pipe(map(parse))
      .to(memorySink<Order>())
      .run(),
  );
  const cause = error.cause as OperatorError;
  assert.instance(cause, OperatorError);
  assert.equal(cause.position, { sourceId: '0-collection', splitId: 'collection', position: 700 });
  assert.match(cause.message, /^operator 0-map failed on record \{ id: 700, .* from 0-collection split collection at position 700: note too long$/);
});

test.run();
