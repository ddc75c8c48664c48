import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { collectionSource, fixedDelayRestart, JobFailedError, map, maskSecrets, memoryStore, MonitorError, pipeline } from 'onceflow';
import { collectingSink } from 'onceflow/testing';
import type { JobHandle } from 'onceflow';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

function until(handle: JobHandle, predicate: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (!predicate()) return;
      clearInterval(timer);
      resolve();
    }, 5);
    handle.done.finally(() => {
      clearInterval(timer);
      if (predicate()) resolve();
      else reject(new Error('the job ended first'));
    });
  });
}

test('passwords in URLs and secret query parameters are masked', () => {
  assert.is(maskSecrets('redis://user:s3cret@cache:6379/0'), 'redis://user:***@cache:6379/0');
  assert.is(maskSecrets('failed: amqp://:guest@127.0.0.1:5672 refused'), 'failed: amqp://:***@127.0.0.1:5672 refused');
  assert.is(maskSecrets('http://nn:9870/webhdfs/v1/a?op=OPEN&delegation_token=abc&X-Amz-Signature=ff'), 'http://nn:9870/webhdfs/v1/a?op=OPEN&delegation_token=***&X-Amz-Signature=***');
  assert.is(maskSecrets('http://user@host/x and no secret'), 'http://user@host/x and no secret');
});

test('the monitor serves the job, its checkpoints and its restarts on 127.0.0.1, with secrets masked', async () => {
  let failed = false;
  let checkpointed = false;
  const handle = pipeline({
    id: 'monitored',
    guarantee: 'at-least-once',
    checkpoints: { interval: 5, store: memoryStore() },
    restart: fixedDelayRestart({ attempts: 2, delay: 1 }),
    monitor: { port: 0 },
    logger: quiet,
  })
    .from(collectionSource(range(1_000_000), { chunkSize: 16 }))
    .pipe(
      map((x: number) => {
        // Once, after a checkpoint: the restart resumes from it.
        if (checkpointed && !failed) {
          failed = true;
          throw new Error('cannot reach redis://app:hunter2@cache.internal:6379');
        }
        return x;
      }),
    )
    .to(collectingSink<number>({ slow: true }))
    .start();
  handle.events.subscribe((e) => (checkpointed ||= e.type === 'checkpoint-completed'));
  try {
    const url = String(await handle.monitorUrl);
    assert.ok(url.startsWith('http://127.0.0.1:'), url);
    await until(handle, () => handle.metrics().restarts.length === 1 && handle.metrics().checkpoints.completed >= 2);

    const page = await fetch(url);
    assert.is(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await page.text();
    assert.not.match(html, /<link|src=|https?:\/\/(?!www\.w3\.org)/, 'no external assets');

    const jobs = await getJson(`${url}jobs`);
    assert.equal(jobs.body.jobs, [{ id: 'monitored', status: 'running' }]);

    const job = await getJson(`${url}jobs/monitored`);
    assert.is(job.body.jid, 'monitored');
    assert.is(job.body.guarantee, 'at-least-once');
    assert.equal(
      job.body.vertices.map((v: { id: string; kind: string; guarantee: string }) => [v.id, v.kind, v.guarantee]),
      [
        ['0-collection', 'source', 'exactly-once'],
        ['0-map', 'operator', 'exactly-once'],
        ['sink-collect', 'sink', 'at-least-once'],
      ],
    );
    assert.ok(job.body.vertices[0].metrics['write-records'] > 0);
    assert.equal(job.body.plan.edges.map((e: { source: string; target: string }) => `${e.source}>${e.target}`), ['0-collection>0-map', '0-map>sink-collect']);

    const checkpoints = await getJson(`${url}jobs/monitored/checkpoints`);
    assert.ok(checkpoints.body.counts.completed >= 2);
    const latest = checkpoints.body.latest.completed;
    assert.is(latest.status, 'COMPLETED');
    for (const column of ['id', 'trigger_timestamp', 'end_to_end_duration', 'state_size', 'alignment_duration', 'store_write_duration']) {
      assert.type(latest[column], 'number', column);
    }
    assert.ok(checkpoints.body.latest.restored.id >= 1, 'the restart resumed from a checkpoint');

    const exceptions = await getJson(`${url}jobs/monitored/exceptions`);
    const [entry] = exceptions.body.exceptionHistory.entries;
    assert.match(entry.message, /^operator 0-map failed on record \d+ from 0-collection split collection at position \S+: cannot reach redis:\/\/app:\*\*\*@cache.internal:6379$/);
    assert.is(entry.attempt, 2);
    const everything = JSON.stringify([jobs, job, checkpoints, exceptions, await getJson(`${url}jobs/monitored/metrics`)]);
    assert.not.match(everything, /hunter2/);

    assert.is((await getJson(`${url}jobs/nope`)).status, 404);
  } finally {
    await handle.stop();
  }
  // The server is gone with the job.
  const refused = await fetch(String(await handle.monitorUrl)).then(
    () => false,
    () => true,
  );
  assert.ok(refused, 'the monitor stops with its job');
});

test('a monitor that cannot listen fails the job before it reads anything', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const handle = pipeline({ id: 'busy-port', monitor: { port } })
      .from(collectionSource([1, 2, 3]))
      .to(collectingSink<number>({ slow: true }))
      .start();
    const error = await handle.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, MonitorError);
    assert.match((error as Error).message, new RegExp(`monitor could not listen on 127.0.0.1:${port}`));
    assert.is(handle.metrics().status, 'failed');
    assert.is(handle.metrics().edges.length, 0, 'nothing was wired');
    assert.not.instance(error, JobFailedError);
  } finally {
    taken.close();
  }
});

test.run();
