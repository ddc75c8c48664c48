// How the Elasticsearch sink reads a bulk response item by item, with a client that answers as
// the server does when it is too busy (429, 503, es_rejected_execution_exception) or going down
// (index_not_found_exception for an index that took documents): those documents are sent again,
// the others taken or refused. The real server's answers (a mapping
// conflict, a write block lifted) are in test/integration/elasticsearch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, memoryStore, pipeline } from 'onceflow';
import { elasticsearchSink } from 'onceflow/elasticsearch';
import type { ElasticsearchBulkClient, ElasticsearchBulkItem, ElasticsearchDeadLetter } from 'onceflow/elasticsearch';
import { collectingSink } from 'onceflow/testing';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A client that refuses each document as `answer` says for its n-th try, and keeps what it takes. */
function busyClient(answer: (id: string, attempt: number) => ElasticsearchBulkItem) {
  const tries = new Map<string, number>();
  const taken: string[] = [];
  const client: ElasticsearchBulkClient = {
    async bulk({ operations }) {
      const items = [];
      for (let i = 0; i < operations.length; i += 2) {
        const id = (JSON.parse(operations[i] as string) as { index: { _id: string } }).index._id;
        const attempt = (tries.get(id) ?? 0) + 1;
        tries.set(id, attempt);
        const item = answer(id, attempt);
        if ((item.status ?? 0) < 300) taken.push(id);
        items.push({ index: item });
      }
      return { errors: items.some((item) => (item.index.status ?? 0) >= 300), items };
    },
  };
  return { client, taken, tries };
}

const run = (client: ElasticsearchBulkClient, ids: string[], onFailure?: { deadLetter: ReturnType<typeof collectingSink<ElasticsearchDeadLetter<string>>> }) =>
  pipeline({ id: 'items', checkpoints: { interval: 10, store: memoryStore() }, logger: silent, signals: false })
    .from(collectionSource(ids))
    .to(elasticsearchSink({ client, index: 'i', id: (id: string) => id, document: (id) => ({ id }), retry: { initialDelay: 1, maxDelay: 5 }, ...(onFailure ? { onFailure } : {}) }))
    .run();

test('documents refused with 429, 503 or es_rejected_execution_exception are sent again until taken', async () => {
  const busy = [
    { status: 429, error: { type: 'too_many_requests', reason: 'slow down' } },
    { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary not active' } },
    { status: 500, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } },
  ];
  const { client, taken, tries } = busyClient((id, attempt) => (attempt <= 3 && Number(id) % 2 === 0 ? (busy[attempt - 1] as ElasticsearchBulkItem) : { status: 201 }));
  const ids = Array.from({ length: 20 }, (_, n) => String(n));
  assert.is((await run(client, ids)).outcome, 'finished');
  assert.equal([...new Set(taken)].sort(), [...ids].sort());
  assert.is(tries.get('4'), 4, 'tried again after each busy answer');
  assert.is(tries.get('5'), 1);
});

test('a document refused for good fails the job naming it; with a dead-letter sink it goes there and the rest goes on', async () => {
  const refuse = (id: string): ElasticsearchBulkItem => (id === '7' ? { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [n]' } } : { status: 201 });
  const failed = await run(busyClient(refuse).client, ['6', '7', '8']).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  assert.match(failed?.message ?? '', "document '7' for index 'i'");
  assert.match(failed?.message ?? '', 'mapper_parsing_exception: failed to parse field [n]');
  const deadLetter = collectingSink<ElasticsearchDeadLetter<string>>();
  const { client, taken } = busyClient(refuse);
  assert.is((await run(client, ['6', '7', '8'], { deadLetter })).outcome, 'finished');
  assert.equal(taken.sort(), ['6', '8']);
  assert.equal(
    deadLetter.written.map((d) => [d.record, d.status, d.error.type, d.document]),
    [['7', 400, 'mapper_parsing_exception', '{"id":"7"}']],
  );
});

test('index_not_found_exception for an index that took documents (a node going down drops its indices while it answers) is sent again; for one that never did, it fails the job', async () => {
  const gone = { status: 404, error: { type: 'index_not_found_exception', reason: 'no such index [i]' } };
  const { client, taken, tries } = busyClient((id, attempt) => (Number(id) >= 10 && attempt === 1 ? gone : { status: 201 }));
  const ids = Array.from({ length: 20 }, (_, n) => String(n));
  assert.is((await run(client, ids)).outcome, 'finished');
  assert.equal([...new Set(taken)].sort(), [...ids].sort());
  assert.is(tries.get('15'), 2);
  const failed = await run(busyClient(() => gone).client, ['1', '2']).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  assert.match(failed?.message ?? '', 'index_not_found_exception: no such index [i]');
});

test.run();
