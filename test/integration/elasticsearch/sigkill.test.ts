// The Elasticsearch sink in child processes SIGKILLed at random points while 50,000 records flow,
// against the real Elasticsearch 8: without ids, every record is in the index; with ids derived
// from the record, the index equals a failure-free run's.
import { Client } from '@elastic/elasticsearch';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer, uniqueName } from '../env.js';
import { allDocuments, testIndices } from './indices.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`elasticsearch sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const url = requireServer('elasticsearch');
const client = new Client({ node: url });
const job = new URL('./fixtures/elasticsearch-job.ts', import.meta.url);
const total = 50_000;
const indices = testIndices(client);

test.after(async () => {
  await indices.deleteAll();
  await client.close();
});

/** Every document of `index` as `id source`. */
async function documents(index: string): Promise<string[]> {
  return (await allDocuments(client, index)).map((d) => `${d.id} ${JSON.stringify(d.source)}`);
}

test('without ids, SIGKILLed 5 times while 50,000 records flow: every record is in the index', async () => {
  await withTempDir('elasticsearch-kill', async (dir) => {
    const index = indices.fresh('onceflow-kill-auto');
    const { kills, checkpointsAtKill } = await runWithKills(job, [url, index, join(dir, 'checkpoints'), 'without-ids', uniqueName('auto')], { kills: 5, maxCheckpoints: 2, random });
    assert.is(kills, 5, `killed 5 times before the input ran out (after ${checkpointsAtKill.join(', ')} checkpoints)`);
    const numbers = new Set((await documents(index)).map((doc) => (JSON.parse(doc.slice(doc.indexOf(' ') + 1)) as { n: number }).n));
    const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !numbers.has(n));
    assert.equal(missing.slice(0, 10), [], `no record lost (${missing.length} missing; killed after ${checkpointsAtKill.join(', ')} checkpoints)`);
  });
});

test('with ids from the record, SIGKILLed 5 times while 50,000 records flow: the index equals a failure-free run', async () => {
  await withTempDir('elasticsearch-kill-ids', async (dir) => {
    const [killed, reference] = [indices.fresh('onceflow-kill-ids'), indices.fresh('onceflow-kill-reference')];
    await runWithKills(job, [url, reference, join(dir, 'reference'), 'with-ids', uniqueName('reference')], { kills: 0 });
    const { kills, checkpointsAtKill } = await runWithKills(job, [url, killed, join(dir, 'killed'), 'with-ids', uniqueName('killed')], { kills: 5, maxCheckpoints: 2, random });
    assert.is(kills, 5, `killed 5 times before the input ran out (after ${checkpointsAtKill.join(', ')} checkpoints)`);
    const expected = (await documents(reference)).sort();
    assert.is(expected.length, total, 'the failure-free run indexed one document per record');
    assert.equal((await documents(killed)).sort(), expected, `the same documents (killed after ${checkpointsAtKill.join(', ')} checkpoints)`);
  });
});

test.run();
