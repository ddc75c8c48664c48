// The harness's Elasticsearch stopped mid-run and started again on its data: the job retries,
// restarts from its latest checkpoint, and finishes, with every record indexed.
import { Client } from '@elastic/elasticsearch';
import { test } from 'uvu';
import { pipeline } from 'onceflow';
import { elasticsearchSink } from 'onceflow/elasticsearch';
import { outageSettings, throughOutage } from '../outage.js';
import { pacedNumbers } from '../paced.js';
import { allDocuments } from './indices.js';
import { requireServer, uniqueName } from '../env.js';

const url = requireServer('elasticsearch');
const client = new Client({ node: url });
// No retries inside the client (it would wait ~6 s on each refused connection, which can outlast
// the outage): the sink's own retries give up, and the job restarts from its latest checkpoint.
const jobClient = new Client({ node: url, maxRetries: 0 });
const index = uniqueName('onceflow-outage').toLowerCase();
const total = 20_000;

async function numbers(): Promise<Set<number>> {
  return new Set((await allDocuments<{ n: number }>(client, index)).map((d) => d.source.n));
}

test.after(async () => {
  await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {});
  await Promise.all([client.close(), jobClient.close()]);
});

test('Elasticsearch stopped mid-run and started again: the job recovers and finishes, every record indexed', async () => {
  // 100 records every 20 ms at most: the job is still writing when the server goes away.
  const paced = pacedNumbers(total, 100, 20);
  const handle = pipeline({ ...outageSettings(uniqueName('outage')), flowControl: paced.flowControl })
    .from(paced.source)
    .pipe(paced.pace)
    .to(elasticsearchSink({ client: jobClient, index, id: (n: number) => String(n), document: (n) => ({ n }), maxTimeInBuffer: 50, retry: { initialDelay: 100, maxDelay: 1000, maxAttempts: 5 } }))
    .start();
  await throughOutage({ server: 'elasticsearch', handle, total, written: numbers });
});

test.run();
