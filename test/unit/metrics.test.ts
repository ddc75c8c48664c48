import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filter as rxFilter, map as rxMap } from 'rxjs';
import { collectionSource, concatMap, defineOperator, filter, Marker, rx, fixedDelayRestart, map, memoryStore, pipeline, union } from 'onceflow';
import type { JobEvent, JobMetricsSnapshot, StageMetrics } from 'onceflow';
import { memorySink, collectingSink } from 'onceflow/testing';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function stage(m: JobMetricsSnapshot, id: string): StageMetrics {
  const found = m.stages.find((s) => s.id === id);
  if (!found) throw new Error(`no stage ${id} in ${m.stages.map((s) => s.id).join(', ')}`);
  return found;
}

test('records in and out are counted per source, operator and sink', async () => {
  const handle = pipeline({ id: 'metrics-linear', guarantee: 'exactly-once', checkpoints: { interval: 5, store: memoryStore() } })
    .from(collectionSource(range(10_000), { chunkSize: 128 }))
    .pipe(
      map((x: number) => x * 2),
      filter((x: number) => x % 3 !== 0),
    )
    .to(memorySink<number>())
    .start();
  await handle.done;
  const m = handle.metrics();
  const kept = range(10_000).filter((x) => (x * 2) % 3 !== 0).length;
  assert.equal(stage(m, '0-collection'), { id: '0-collection', kind: 'source', name: 'collection', guarantee: 'exactly-once', recordsOut: 10_000 });
  assert.equal(stage(m, '0-map'), { id: '0-map', kind: 'operator', name: 'map', guarantee: 'exactly-once', recordsIn: 10_000, recordsOut: 10_000 });
  assert.equal(stage(m, '1-filter'), { id: '1-filter', kind: 'operator', name: 'filter', guarantee: 'exactly-once', recordsIn: 10_000, recordsOut: kept });
  assert.equal(stage(m, 'sink-memory'), { id: 'sink-memory', kind: 'sink', name: 'memory', guarantee: 'exactly-once', recordsIn: kept });
  assert.equal(m.edges.map((e) => `${e.from}>${e.to}`), ['0-collection>0-map', '0-map>1-filter', '1-filter>sink-memory']);
  assert.is(m.status, 'finished');
  assert.is(m.recordsCounted, true);
});

test('an operator that consumes its input with plain RxJS, not operate(), is counted too', async () => {
  const under100 = defineOperator<number, number>({ name: 'raw', guarantee: 'exactly-once', replay: 'deterministic' }, (input) =>
    input.pipe(rxFilter((x) => x instanceof Marker || x < 100)),
  );
  const handle = pipeline({ id: 'metrics-rx', checkpoints: { interval: 50, store: memoryStore() } })
    .from(collectionSource(range(1_000)))
    .pipe(
      under100,
      rx(rxMap((x: number) => x + 1), { stateless: true }),
    )
    .to(memorySink<number>())
    .start();
  await handle.done;
  const m = handle.metrics();
  assert.is(stage(m, '0-raw').recordsIn, 1_000);
  assert.is(stage(m, '0-raw').recordsOut, 100);
  assert.is(stage(m, '1-rx').recordsOut, 100);
  assert.is(stage(m, 'sink-memory').recordsIn, 100);
});

test('checkpoint statistics: trigger time, duration, size, store write, and the final one', async () => {
  const handle = pipeline({ id: 'metrics-checkpoints', checkpoints: { interval: 2, store: memoryStore() } })
    .from(collectionSource(range(20_000), { chunkSize: 64 }))
    .pipe(map((x: number) => x + 1))
    .to(memorySink<number>())
    .start();
  const started = Date.now();
  await handle.done;
  const { checkpoints } = handle.metrics();
  assert.ok(checkpoints.completed >= 2, `${checkpoints.completed} completed`);
  assert.is(checkpoints.inProgress, 0);
  assert.is(checkpoints.history.length, checkpoints.completed);
  for (const c of checkpoints.history) {
    assert.is(c.status, 'completed');
    assert.ok(c.triggeredAt >= started && c.triggeredAt <= Date.now());
    assert.ok(c.durationMs !== undefined && c.durationMs >= 0);
    assert.ok(c.bytes !== undefined && c.bytes > 0);
    assert.ok(c.storeWriteMs !== undefined && c.storeWriteMs >= 0 && c.storeWriteMs <= c.durationMs);
    assert.is(c.alignmentMs, 0, 'no union, no alignment');
  }
  assert.ok(checkpoints.history.at(-1)?.final);
  assert.equal(
    checkpoints.history.map((c) => c.id),
    checkpoints.history.map((_, i) => i + 1),
  );
});

test('a union records how long barriers waited for each other (alignment)', async () => {
  const p = pipeline({ id: 'metrics-union', checkpoints: { interval: 2, store: memoryStore() } });
  // One input waits a turn of the event loop per record, so barrier n reaches the union from the other one first.
  const fast = p.from(collectionSource(range(2_000), { chunkSize: 512 }));
  const slow = p.from(collectionSource(range(2_000), { chunkSize: 64 })).pipe(concatMap((x: number) => new Promise<number>((resolve) => setImmediate(() => resolve(x)))));
  const handle = union(fast, slow)
    .pipe(map((x: number) => x))
    .to(memorySink<number>())
    .start();
  await handle.done;
  const m = handle.metrics();
  assert.is(stage(m, 'union-0').recordsIn, 4_000);
  assert.is(stage(m, 'union-0').recordsOut, 4_000);
  assert.is(stage(m, '0-collection').recordsOut, 2_000);
  assert.is(stage(m, '1-collection').recordsOut, 2_000);
  const aligned = m.checkpoints.history.filter((c) => c.alignmentMs > 0);
  assert.ok(aligned.length > 0, 'some checkpoint waited for its barrier on the slow input');
});

test('counts go on across restarts, and each restart is recorded with its error', async () => {
  let failed = false;
  let checkpointed = false;
  const sink = memorySink<number>();
  const handle = pipeline({
    id: 'metrics-restart',
    guarantee: 'exactly-once',
    checkpoints: { interval: 5, store: memoryStore() },
    restart: fixedDelayRestart({ attempts: 3, delay: 1 }),
    logger: quiet,
  })
    .from(collectionSource(range(20_000), { chunkSize: 16 }))
    .pipe(
      map((x: number) => {
        // Once a checkpoint is there to restart from.
        if (checkpointed && !failed) {
          failed = true;
          throw new RangeError(`injected at ${x}`);
        }
        return x;
      }),
    )
    .to(sink)
    .start();
  handle.events.subscribe((e) => (checkpointed ||= e.type === 'checkpoint-completed'));
  const result = await handle.done;
  assert.is(result.attempts, 2);
  const m = handle.metrics();
  assert.is(m.attempt, 2);
  assert.is(m.status, 'finished');
  assert.is(m.restarts.length, 1);
  assert.is(m.restarts[0]?.attempt, 2);
  assert.is(m.restarts[0]?.errorName, 'OperatorError');
  assert.match(m.restarts[0]?.error ?? '', /^operator 0-map failed on record \d+ from 0-collection split collection at position \S+: injected at \d+$/);
  assert.ok(m.checkpoints.restoredFrom !== undefined && m.checkpoints.restoredFrom > 0);
  // A checkpoint in progress when the attempt failed is counted as failed, as its row says.
  assert.is(m.checkpoints.failed, m.checkpoints.history.filter((c) => c.status === 'failed').length);
  assert.is(m.checkpoints.completed, m.checkpoints.history.filter((c) => c.status === 'completed').length);
  // The replayed records went through twice: the counts are of work done, over both attempts.
  const sourceOut = stage(m, '0-collection').recordsOut ?? 0;
  assert.ok(sourceOut > 20_000, `source emitted ${sourceOut}`);
  assert.is(stage(m, '0-map').recordsIn, sourceOut);
  assert.is(stage(m, 'sink-memory').recordsIn, sourceOut - 1, 'the record that threw never reached the sink');
  assert.equal(sink.committed, range(20_000));
});

test('time paused by flow control is measured', async () => {
  const handle = pipeline({ id: 'metrics-paused', flowControl: { highWaterMark: 50, lowWaterMark: 10 } })
    .from(collectionSource(range(3_000), { chunkSize: 256 }))
    .to(collectingSink<number>({ slow: true }))
    .start();
  await handle.done;
  const { flowControl } = handle.metrics();
  assert.ok(flowControl.pauses > 0, `${flowControl.pauses} pauses`);
  assert.ok(flowControl.pausedMs > 0, `${flowControl.pausedMs} ms paused`);
  assert.is(flowControl.paused, false);
});

test('split positions are reported as of the latest checkpoint; a finished split is no longer reported', async () => {
  const handle = pipeline({ id: 'metrics-splits', checkpoints: { interval: 5, store: memoryStore() } })
    .from(collectionSource(range(200_000), { chunkSize: 64 }))
    .to(memorySink<number>())
    .start();
  // A checkpoint taken before the first fetch holds the split at its start (no position yet): wait for one after it.
  const midway = await new Promise<ReturnType<typeof handle.metrics>>((resolve) =>
    handle.events.subscribe((e) => {
      if (e.type !== 'checkpoint-completed' || e.final) return;
      const now = handle.metrics();
      if (typeof now.splits[0]?.position === 'number') resolve(now);
    }),
  );
  const [split, ...more] = midway.splits;
  assert.is(more.length, 0);
  assert.is(split?.sourceId, '0-collection');
  assert.is(split?.splitId, 'collection');
  assert.ok(typeof split?.position === 'number' && split.position > 0 && split.position <= 200_000, `position ${String(split?.position)}`);
  assert.is(split?.lag, undefined, 'a collection does not know a lag');
  await handle.done;
  assert.equal(handle.metrics().splits, [], 'the collection split finished');
});

test('metrics events come at the interval asked for; records: false counts nothing', async () => {
  const events: JobEvent[] = [];
  const handle = pipeline({ id: 'metrics-events', metrics: { interval: 5, records: false }, flowControl: { highWaterMark: 50, lowWaterMark: 10 } })
    .from(collectionSource(range(1_000_000), { chunkSize: 64 }))
    .to(collectingSink<number>({ slow: true }))
    .start();
  handle.events.subscribe((e) => {
    events.push(e);
    if (events.filter((x) => x.type === 'metrics').length === 2) void handle.stop();
  });
  await handle.done;
  const snapshots = events.flatMap((e) => (e.type === 'metrics' ? [e.metrics] : []));
  assert.ok(snapshots.length >= 2, `${snapshots.length} metrics events`);
  for (const s of snapshots) {
    assert.is(s.recordsCounted, false);
    assert.ok(s.stages.every((st) => st.recordsIn === undefined && st.recordsOut === undefined));
    assert.equal(s.stages.map((st) => st.id), ['0-collection', 'sink-collect']);
  }
});

test('metrics options are checked', () => {
  assert.throws(() => pipeline({ id: 'x', metrics: { interval: 0 } }), /metrics.interval must be a positive number/);
  assert.throws(() => pipeline({ id: 'x', monitor: { port: 70_000 } }), /monitor.port must be a TCP port/);
});

test.run();
