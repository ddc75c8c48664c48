import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchingSinkWriter, BatchWriteError, OnceflowError } from 'onceflow';
import type { BatchingWriterOptions, RejectedEntry } from 'onceflow';

/** A system taking batches: records what it took, and answers from a script of its own. */
function system(answer: (batch: readonly string[], call: number) => readonly RejectedEntry[] | Promise<readonly RejectedEntry[]> = () => []) {
  const taken: string[] = [];
  const batches: string[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const submit = async (batch: readonly string[]): Promise<readonly RejectedEntry[]> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    batches.push([...batch]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const rejected = await answer(batch, calls++);
      const refused = new Set(rejected.map((r) => r.index));
      batch.forEach((entry, i) => refused.has(i) || taken.push(entry));
      return rejected;
    } finally {
      inFlight--;
    }
  };
  return { submit, taken, batches, maxInFlight: () => maxInFlight };
}

/** A system that holds every request until `release()`, then takes it whole. */
function heldSystem() {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const s = system(async () => {
    await gate;
    return [];
  });
  return { s, release };
}

const fast = { initialDelay: 1, maxDelay: 4 };

function writer(submit: BatchingWriterOptions<string, string>['submit'], options: Partial<BatchingWriterOptions<string, string>> = {}) {
  return new BatchingSinkWriter<string, string>({ toEntry: (r) => r, submit, retry: fast, ...options });
}

class Throttled extends OnceflowError {
  constructor() {
    super('429 too many requests', { retriable: true });
  }
}

test('batching writer: batches by count and by bytes, keeps the requests in flight bounded, and flush waits for all', async () => {
  const s = system();
  const w = writer(s.submit, { maxBatchSize: 10, maxBatchBytes: 40, maxInFlightRequests: 2, maxTimeInBuffer: 10_000 });
  const records = Array.from({ length: 95 }, (_, i) => `r${i}`);
  const started = Date.now();
  for (const r of records) await w.write(r);
  await w.flush();
  assert.equal(s.taken.sort(), [...records].sort());
  assert.ok(s.batches.every((b) => b.length <= 10), 'at most maxBatchSize entries a request');
  assert.ok(s.batches.every((b) => b.reduce((n, e) => n + JSON.stringify(e).length, 0) <= 40), 'at most maxBatchBytes a request');
  assert.ok(s.maxInFlight() <= 2, `at most 2 requests in flight, saw ${s.maxInFlight()}`);
  assert.ok(Date.now() - started < 5_000, 'the last partly filled batch went out with the flush, not after maxTimeInBuffer');
  w.close();
});

test('batching writer: a partly filled batch goes out after maxTimeInBuffer without a flush', async () => {
  const s = system();
  const w = writer(s.submit, { maxBatchSize: 100, maxTimeInBuffer: 5 });
  await w.write('lonely');
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(s.taken, ['lonely']);
  w.close();
});

test('batching writer: retriable rejections are sent again with backoff until taken; a whole failed request too', async () => {
  const s = system((batch, call) => {
    if (call === 0) throw new Throttled();
    // Every other entry is throttled on the first three answers after that.
    return call < 4 ? batch.flatMap((_, index) => (index % 2 === 0 ? [{ index, error: new Throttled() }] : [])) : [];
  });
  const w = writer(s.submit, { maxBatchSize: 4 });
  for (const r of ['a', 'b', 'c', 'd', 'e', 'f']) await w.write(r);
  await w.flush();
  assert.equal(s.taken.sort(), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.ok(s.batches.length > 3, 'rejected entries were sent again');
  w.close();
});

test('batching writer: an entry rejected for good fails the flush with an error naming it; so does one past the retry budget', async () => {
  const bad = system((batch) => batch.flatMap((entry, index) => (entry === 'poison' ? [{ index, error: new Error('mapper_parsing_exception') }] : [])));
  const plain = writer(bad.submit, { retry: { ...fast } });
  // A plain Error counts as retriable (one default for retriable): it is retried, then fails past the budget.
  for (const r of ['ok', 'poison']) await plain.write(r);
  const exhausted = await plain.flush().catch((e: unknown) => e);
  assert.instance(exhausted, BatchWriteError);
  assert.match(String(exhausted), /entry "poison" was still rejected after 10 attempts: mapper_parsing_exception/);
  assert.is((exhausted as BatchWriteError).entry, '"poison"');
  plain.close();

  const refused = system((batch) =>
    batch.flatMap((entry, index) => (entry === 'poison' ? [{ index, error: new OnceflowError('document rejected: mapping conflict', { retriable: false }) }] : [])),
  );
  const strict = writer(refused.submit);
  await strict.write('ok');
  await strict.write('poison');
  const error = await strict.flush().catch((e: unknown) => e);
  assert.instance(error, BatchWriteError);
  assert.match(String(error), /entry "poison" was rejected: document rejected: mapping conflict/);
  assert.is((error as BatchWriteError).retriable, false);
  assert.throws(() => strict.write('later'), /poison/, 'later writes fail with the same error, nothing is silently dropped');
  strict.close();
});

test('batching writer: an entry above the size limit fails at once, naming it', () => {
  const w = writer(system().submit, { maxEntryBytes: 10 });
  assert.throws(() => w.write('x'.repeat(50)), (e: unknown) => e instanceof BatchWriteError && /is 52 bytes, above the limit of 10 bytes/.test(String(e)));
  w.close();
});

test('batching writer: write holds back the records behind it while too many entries are outstanding', async () => {
  const { s, release } = heldSystem();
  const w = writer(s.submit, { maxBatchSize: 2, maxInFlightRequests: 1, maxBufferedEntries: 4 });
  const results = ['a', 'b', 'c', 'd'].map((r) => w.write(r));
  assert.is(results[3] instanceof Promise, true, 'the 4th outstanding entry waits');
  let resolved = false;
  void (results[3] as Promise<void>).then(() => (resolved = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.not.ok(resolved, 'still waiting while the system holds the request');
  release();
  await results[3];
  await w.flush();
  assert.equal(s.taken.sort(), ['a', 'b', 'c', 'd']);
  w.close();
});

test('batching writer: close sends nothing more and resolves once the requests in flight have answered', async () => {
  const { s, release } = heldSystem();
  const w = writer(s.submit, { maxBatchSize: 2, maxInFlightRequests: 1 });
  for (const r of ['a', 'b', 'c', 'd']) void w.write(r);
  let closed = false;
  const closing = w.close().then(() => (closed = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.not.ok(closed, 'still closing while the request for a and b is in flight');
  release();
  await closing;
  assert.equal(s.taken, ['a', 'b'], 'the request in flight answered; c and d were not sent');
});

test('batching writer: bad options name the option', () => {
  assert.throws(() => writer(system().submit, { maxBatchSize: 0 }), /maxBatchSize must be a whole number >= 1/);
});

test.run();
