// The Cassandra sink in child processes SIGKILLed at random points while 50,000 records flow,
// against the real Cassandra 5: at-least-once, every record is in the table; in the write-ahead
// mode with idempotent upserts, the table equals a failure-free run's.
import { Client } from 'cassandra-driver';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer, uniqueName } from '../env.js';
import { allRows, useKeyspace } from './keyspaces.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`cassandra sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const contactPoints = requireServer('cassandra');
const client = new Client({ contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1' });
const keyspace = uniqueName('onceflow_kill');
const job = new URL('./fixtures/cassandra-job.ts', import.meta.url);
const total = 50_000;

useKeyspace(test, client, keyspace);

/** Every row of `query`, each as its values joined by spaces. */
async function rows(query: string): Promise<string[]> {
  return (await allRows(client, query)).map((row) => row.values().map(String).join(' '));
}

test('at-least-once, SIGKILLed 5 times while 50,000 records flow: every record is in the table', async () => {
  await withTempDir('cassandra-kill', async (dir) => {
    const table = `${keyspace}.appended`;
    await client.execute(`CREATE TABLE ${table} (n int, at timeuuid, PRIMARY KEY (n, at))`);
    const { kills, checkpointsAtKill } = await runWithKills(job, [contactPoints, table, join(dir, 'checkpoints'), 'at-least-once', uniqueName('alo')], { kills: 5, maxCheckpoints: 2, random });
    assert.is(kills, 5, `killed 5 times before the input ran out (after ${checkpointsAtKill.join(', ')} checkpoints)`);
    const numbers = new Set((await rows(`SELECT n FROM ${table}`)).map(Number));
    const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !numbers.has(n));
    assert.equal(missing.slice(0, 10), [], `no record lost (${missing.length} missing; killed after ${checkpointsAtKill.join(', ')} checkpoints)`);
  });
});

test('write-ahead with idempotent upserts, SIGKILLed 5 times while 50,000 records flow: the table equals a failure-free run', async () => {
  await withTempDir('cassandra-kill-wal', async (dir) => {
    const commits = `${keyspace}.commits`;
    const [killed, reference] = [`${keyspace}.counts_killed`, `${keyspace}.counts_reference`];
    for (const table of [killed, reference]) await client.execute(`CREATE TABLE ${table} (key text, count int, PRIMARY KEY (key, count))`);
    await runWithKills(job, [contactPoints, reference, join(dir, 'reference'), 'write-ahead', uniqueName('reference'), commits], { kills: 0 });
    const { kills, checkpointsAtKill } = await runWithKills(job, [contactPoints, killed, join(dir, 'killed'), 'write-ahead', uniqueName('killed'), commits], { kills: 5, maxCheckpoints: 2, random });
    assert.is(kills, 5, `killed 5 times before the input ran out (after ${checkpointsAtKill.join(', ')} checkpoints)`);
    const expected = (await rows(`SELECT key, count FROM ${reference}`)).sort();
    assert.is(expected.length, total, 'the failure-free run wrote one row per record');
    assert.equal((await rows(`SELECT key, count FROM ${killed}`)).sort(), expected, `the same rows (killed after ${checkpointsAtKill.join(', ')} checkpoints)`);
  });
});

test.run();
