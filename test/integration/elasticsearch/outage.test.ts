// The harness's Elasticsearch stopped mid-run and started again (a fresh, empty server: the index
// is created again by the sink's first bulk request): the job retries, restarts from its latest
// checkpoint, and finishes, with every record after the checkpoint it resumed from indexed.
import { Client } from '@elastic/elasticsearch';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, concatMap, exponentialBackoffRestart, memoryStore, pipeline } from 'onceflow';
import { elasticsearchSink } from 'onceflow/elasticsearch';
import { restartServer } from '../outage.js';
import { requireServer, uniqueName } from '../env.js';

const url = requireServer('elasticsearch');
const client = new Client({ node: url });
// No retries inside the client (it would wait ~6 s on each refused connection, outlasting the
// outage): the sink's own retries give up, the job restarts from its latest checkpoint, and what
// it wrote again can be checked exactly.
const jobClient = new Client({ node: url, maxRetries: 0 });
const index = uniqueName('onceflow-outage').toLowerCase();
const total = 20_000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function numbers(): Promise<Set<number>> {
  await client.indices.refresh({ index, ignore_unavailable: true });
  const found = new Set<number>();
  if (!(await client.indices.exists({ index }))) return found;
  const { id } = await client.openPointInTime({ index, keep_alive: '1m' });
  try {
    let after: (string | number)[] | undefined;
    for (;;) {
      const page = await client.search<{ n: number }>({ pit: { id, keep_alive: '1m' }, size: 10_000, sort: ['_shard_doc'], ...(after ? { search_after: after } : {}) });
      for (const hit of page.hits.hits) found.add((hit._source as { n: number }).n);
      if (page.hits.hits.length < 10_000) break;
      after = page.hits.hits.at(-1)?.sort as (string | number)[];
    }
  } finally {
    await client.closePointInTime({ id });
  }
  return found;
}

test.after(async () => {
  await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {});
  await Promise.all([client.close(), jobClient.close()]);
});

test('Elasticsearch stopped mid-run and started again: the job recovers and finishes, nothing after its restored checkpoint lost', async () => {
  const restarts: number[] = [];
  const handle = pipeline({
    id: uniqueName('outage'),
    checkpoints: { interval: 100, store: memoryStore() },
    restart: exponentialBackoffRestart({ initialDelay: 200, maxDelay: 2000, maxAttempts: 200 }),
    flowControl: { highWaterMark: 2000, lowWaterMark: 1000 },
    logger: silent,
    signals: false,
  })
    .from(collectionSource(Array.from({ length: total }, (_, n) => n), { chunkSize: 100 }))
    // 100 records every 20 ms at most: the job is still writing when the server goes away.
    .pipe(concatMap(async (n: number) => (n % 100 === 0 ? new Promise<number>((resolve) => setTimeout(() => resolve(n), 20)) : n), { deterministic: true }))
    .to(elasticsearchSink({ client: jobClient, index, id: (n: number) => String(n), document: (n) => ({ n }), maxTimeInBuffer: 50, retry: { initialDelay: 100, maxDelay: 1000, maxAttempts: 5 } }))
    .start();
  handle.events.subscribe((e) => void (e.type === 'restarting' && restarts.push(e.attempt)));
  let ended = false;
  void handle.done.finally(() => (ended = true));
  while ((await numbers()).size < 3000) await new Promise((resolve) => setTimeout(resolve, 50));
  await restartServer('elasticsearch', 2000);
  assert.not.ok(ended, 'the job was still running when the server came back');
  const { outcome } = await handle.done;
  assert.is(outcome, 'finished');
  assert.ok(restarts.length > 0, 'the job restarted from its latest checkpoint');
  const found = await numbers();
  const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !found.has(n));
  // Missing: only records of before the resumed checkpoint, indexed on the server that was wiped.
  assert.equal(missing, Array.from({ length: missing.length }, (_, n) => n), `only a prefix is missing (${missing.length})`);
  assert.ok(missing.length < total - 3000, 'the job went on after the server came back');
});

test.run();
