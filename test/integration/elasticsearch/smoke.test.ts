import { Client } from '@elastic/elasticsearch';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

const client = new Client({ node: requireServer('elasticsearch') });
const index = uniqueName('onceflow-smoke').toLowerCase();

test.after(async () => {
  await client.indices.delete({ index, ignore_unavailable: true });
  await client.close();
});

// Through the nodes API: GET / (client.info and client.ping) lives in the rest-root module,
// which Maven Central does not have, so the harness's server answers it with 405.
test('the server is the 8.x line this client speaks', async () => {
  const { nodes } = await client.nodes.info({ filter_path: 'nodes.*.version' });
  const versions = Object.values(nodes).map((node) => node.version);
  assert.equal(versions, ['8.14.3']);
});

test('a document indexed by id is found by a search after refresh, and re-indexing it is idempotent', async () => {
  await client.index({ index, id: 'word-flink', document: { word: 'flink', count: 3 } });
  await client.index({ index, id: 'word-flink', document: { word: 'flink', count: 3 } });
  await client.indices.refresh({ index });
  const result = await client.search<{ word: string; count: number }>({ index, query: { match: { word: 'flink' } } });
  assert.is(result.hits.hits.length, 1);
  assert.equal(result.hits.hits[0]?._source, { word: 'flink', count: 3 });
});

test.run();
