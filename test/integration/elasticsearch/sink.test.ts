// The Elasticsearch sink against the real Elasticsearch 8: the connector test kit with and without
// ids, per-document retry, indices from the record, and bad input (a mapping conflict, an
// oversized document) failing the job naming the document, or going to a dead-letter sink.
import { Client } from '@elastic/elasticsearch';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, isRetriable, memoryStore, pipeline } from 'onceflow';
import { elasticsearchSink } from 'onceflow/elasticsearch';
import type { ElasticsearchDeadLetter } from 'onceflow/elasticsearch';
import { collectingSink, sinkTestCases } from 'onceflow/testing';
import type { ConnectorTestCase } from 'onceflow/testing';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer, uniqueName } from '../env.js';
import { allDocuments, testIndices } from './indices.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`elasticsearch sink seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const client = new Client({ node: requireServer('elasticsearch') });
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));
const indices = testIndices(client);

test.after(async () => {
  await indices.deleteAll();
  await client.close();
});

async function sources<D>(index: string): Promise<D[]> {
  return (await allDocuments<D>(client, index)).map((d) => d.source);
}

const failure = (run: Promise<unknown>): Promise<Error> =>
  run.then(
    () => assert.unreachable('the job finished') as never,
    (error: unknown) => error as Error,
  );

let withIds = '';
register(
  sinkTestCases(
    {
      name: 'elasticsearchSink with ids',
      async setUp() {
        withIds = indices.fresh('onceflow-kit-ids');
      },
      createSink: () => elasticsearchSink({ client, index: withIds, id: (line: string) => line, document: (line) => ({ line }), maxTimeInBuffer: 20 }),
      read: async () => (await sources<{ line: string }>(withIds)).map((d) => d.line),
    },
    { random },
  ),
);

let withoutIds = '';
register(
  sinkTestCases(
    {
      name: 'elasticsearchSink without ids',
      async setUp() {
        withoutIds = indices.fresh('onceflow-kit-auto');
      },
      createSink: () => elasticsearchSink<string>({ client, index: withoutIds, document: (line) => ({ line }), maxTimeInBuffer: 20 }),
      read: async () => (await sources<{ line: string }>(withoutIds)).map((d) => d.line),
    },
    { random },
  ),
);

interface Reading {
  readonly id: string;
  readonly day: string;
  readonly value: number | string;
}

const readings: Reading[] = [
  { id: 'r1', day: '2024-05-01', value: 1 },
  { id: 'r2', day: '2024-05-02', value: 2 },
  { id: 'r3', day: '2024-05-02', value: 3 },
];

test('index names come from the record: one index per day', async () => {
  const prefix = indices.fresh('onceflow-daily');
  indices.track(`${prefix}-2024-05-01`, `${prefix}-2024-05-02`);
  await pipeline({ id: uniqueName('daily'), checkpoints: { interval: 10, store: memoryStore() }, logger: silent, signals: false })
    .from(collectionSource(readings))
    .to(elasticsearchSink({ client, index: (r: Reading) => `${prefix}-${r.day}`, id: (r) => r.id }))
    .run();
  assert.equal((await sources<Reading>(`${prefix}-2024-05-01`)).map((r) => r.id), ['r1']);
  assert.equal((await sources<Reading>(`${prefix}-2024-05-02`)).map((r) => r.id).sort(), ['r2', 'r3']);
});

test('documents refused while the index is blocked are sent again with backoff, and land once the block is lifted', async () => {
  const index = indices.fresh('onceflow-blocked');
  await client.indices.create({ index, settings: { 'index.blocks.write': true } });
  const records = Array.from({ length: 50 }, (_, n) => ({ id: `d${n}`, day: 'x', value: n }));
  const run = pipeline({ id: uniqueName('blocked'), checkpoints: { interval: 10, store: memoryStore() }, logger: silent, signals: false })
    .from(collectionSource(records))
    .to(elasticsearchSink({ client, index, id: (r: Reading) => r.id, retry: { initialDelay: 50, maxDelay: 200, maxAttempts: 100 } }))
    .run();
  let ended = false;
  void run.finally(() => (ended = true));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.not.ok(ended, 'the job waits on the blocked documents');
  await client.indices.putSettings({ index, settings: { 'index.blocks.write': false } });
  assert.is((await run).outcome, 'finished');
  assert.is((await sources<Reading>(index)).length, 50);
});

test('a mapping conflict fails the job naming the document, and what came before it is indexed', async () => {
  const index = indices.fresh('onceflow-conflict');
  await client.indices.create({ index, mappings: { properties: { value: { type: 'long' } } } });
  const bad = [...readings.slice(0, 2), { id: 'r9', day: '2024-05-03', value: 'not a number' }];
  const error = await failure(
    pipeline({ id: uniqueName('conflict'), checkpoints: { interval: 1000, store: memoryStore() }, logger: silent, signals: false })
      .from(collectionSource(bad))
      .to(elasticsearchSink({ client, index, id: (r: Reading) => r.id }))
      .run(),
  );
  assert.match(error.message, `document 'r9' for index '${index}'`);
  assert.match(error.message, '"value":"not a number"', 'the record is quoted');
  assert.match(error.message, /document_parsing_exception|mapper_parsing_exception/);
  assert.not.ok(isRetriable(error.cause), 'not retriable: the same document fails the same way');
  assert.equal((await sources<Reading>(index)).map((r) => r.id).sort(), ['r1', 'r2']);
});

test('a document over maxDocumentBytes fails the job naming it, before anything is sent', async () => {
  const index = indices.fresh('onceflow-large');
  const large = { id: 'big', day: 'x', value: 'x'.repeat(2 * 1024 * 1024) };
  const error = await failure(
    pipeline({ id: uniqueName('large'), checkpoints: { interval: 1000, store: memoryStore() }, logger: silent, signals: false })
      .from(collectionSource([readings[0] as Reading, large]))
      .to(elasticsearchSink({ client, index, id: (r: Reading) => r.id, maxDocumentBytes: 1024 * 1024 }))
      .run(),
  );
  assert.match(error.message, `the document 'big' for index '${index}' is 2097`);
  assert.match(error.message, 'above maxDocumentBytes (1048576)');
});

test('with a dead-letter sink, refused and oversized documents go there with their errors, and the rest is indexed', async () => {
  const index = indices.fresh('onceflow-dead');
  await client.indices.create({ index, mappings: { properties: { value: { type: 'long' } } } });
  const deadLetter = collectingSink<ElasticsearchDeadLetter<Reading>>();
  const records: Reading[] = [...readings, { id: 'r9', day: 'x', value: 'nine' }, { id: 'big', day: 'x', value: 'x'.repeat(64 * 1024) }];
  const { outcome } = await pipeline({ id: uniqueName('dead'), checkpoints: { interval: 10, store: memoryStore() }, logger: silent, signals: false })
    .from(collectionSource(records))
    .to(elasticsearchSink({ client, index, id: (r: Reading) => r.id, maxDocumentBytes: 32 * 1024, onFailure: { deadLetter } }))
    .run();
  assert.is(outcome, 'finished');
  assert.equal((await sources<Reading>(index)).map((r) => r.id).sort(), ['r1', 'r2', 'r3']);
  const dead = [...deadLetter.written].sort((a, b) => a.id!.localeCompare(b.id!));
  assert.equal(
    dead.map((d) => [d.id, d.index, d.status, d.record.id]),
    [
      ['big', index, 413, 'big'],
      ['r9', index, 400, 'r9'],
    ],
  );
  assert.match(dead[1]!.error.type, /document_parsing_exception|mapper_parsing_exception/);
  assert.equal(JSON.parse(dead[1]!.document), records[3]);
});

test.run();
