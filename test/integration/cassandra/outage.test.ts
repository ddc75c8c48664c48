// The harness's Cassandra stopped mid-run and started again (a fresh, empty server: the test
// creates its keyspace and table again): the job retries, restarts from its latest checkpoint,
// and finishes, with every record after the checkpoint it resumed from in the table.
import { Client, policies } from 'cassandra-driver';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, concatMap, exponentialBackoffRestart, memoryStore, pipeline } from 'onceflow';
import { cassandraSink, cassandraStatement } from 'onceflow/cassandra';
import { restartServer } from '../outage.js';
import { requireServer, uniqueName } from '../env.js';

const contactPoints = requireServer('cassandra').split(',');
// A short, constant reconnection delay: the default grows to minutes during an outage, and a
// client shut down while it waits to reconnect keeps that timer (and the process) going.
const clientOptions = { contactPoints, localDataCenter: 'datacenter1', policies: { reconnection: new policies.reconnection.ConstantReconnectionPolicy(200) } };

/**
 * A client that lives through the outage. When the one node comes back, cassandra-driver 4.10
 * replaces its Host object without shutting the old one down (ControlConnection re-initialising
 * after "Refreshing contact points"): the old pool goes on reconnecting, and the connection it
 * opens outlives `shutdown()`, keeping the process alive. Shutting replaced hosts down avoids it
 * (docs/connectors.md says so for users).
 */
function outageProofClient(): Client {
  const created = new Client(clientOptions);
  created.on('hostRemove', (host: unknown) => void (host as { shutdown(): Promise<void> }).shutdown());
  return created;
}
const client = outageProofClient();
const jobClient = outageProofClient();
const keyspace = uniqueName('onceflow_outage');
const table = `${keyspace}.numbers`;
const total = 20_000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function createSchema(): Promise<void> {
  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await client.execute(`CREATE TABLE IF NOT EXISTS ${table} (n int PRIMARY KEY)`);
}

async function numbers(): Promise<Set<number>> {
  const found = new Set<number>();
  let pageState: string | undefined;
  do {
    const page = await client.execute(`SELECT n FROM ${table}`, [], { fetchSize: 5000, ...(pageState === undefined ? {} : { pageState }) });
    for (const row of page.rows) found.add(row.get('n') as number);
    pageState = page.pageState ?? undefined;
  } while (pageState);
  return found;
}

test.before(createSchema);
test.after(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => {});
  await Promise.all([client.shutdown(), jobClient.shutdown()]);
});

test('Cassandra stopped mid-run and started again: the job recovers and finishes, nothing after its restored checkpoint lost', async () => {
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
    .to(
      cassandraSink({
        client: jobClient,
        statement: cassandraStatement({ query: `INSERT INTO ${table} (n) VALUES (?)`, values: (n: number) => [n], idempotent: true }),
        retry: { initialDelay: 100, maxDelay: 1000, maxAttempts: 5 },
      }),
    )
    .start();
  handle.events.subscribe((e) => void (e.type === 'restarting' && restarts.push(e.attempt)));
  let ended = false;
  void handle.done.finally(() => (ended = true));
  while ((await numbers()).size < 3000) await new Promise((resolve) => setTimeout(resolve, 50));
  await restartServer('cassandra', 2000);
  // The server came back empty: what the job wrote before is gone, and it needs its table again
  // (as soon as this client has reconnected).
  for (let tries = 1; ; tries++) {
    try {
      await createSchema();
      break;
    } catch (error) {
      if (tries === 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.not.ok(ended, 'the job was still running when the server came back');
  const { outcome } = await handle.done;
  assert.is(outcome, 'finished');
  assert.ok(restarts.length > 0, 'the job restarted from its latest checkpoint');
  const found = await numbers();
  const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !found.has(n));
  // Missing: only records of before the resumed checkpoint, written to the server that was wiped.
  assert.equal(missing, Array.from({ length: missing.length }, (_, n) => n), `only a prefix is missing (${missing.length}, the first after it ${missing.at(-1)! + 1})`);
  assert.ok(missing.length < total - 3000, 'the job went on after the server came back');
});

test.run();
