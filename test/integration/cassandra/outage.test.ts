// The harness's Cassandra stopped mid-run and started again on its data: the job retries,
// restarts from its latest checkpoint, and finishes, with every record in the table.
import { Client, policies } from 'cassandra-driver';
import { test } from 'uvu';
import { pipeline } from 'onceflow';
import { cassandraSink, cassandraStatement } from 'onceflow/cassandra';
import { outageSettings, throughOutage } from '../outage.js';
import { pacedNumbers } from '../paced.js';
import { requireServer, uniqueName } from '../env.js';
import { allRows, createKeyspace } from './keyspaces.js';

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

async function createSchema(): Promise<void> {
  await client.execute(createKeyspace(keyspace));
  await client.execute(`CREATE TABLE IF NOT EXISTS ${table} (n int PRIMARY KEY)`);
}

async function numbers(): Promise<Set<number>> {
  return new Set((await allRows(client, `SELECT n FROM ${table}`)).map((row) => row.get('n') as number));
}

test.before(createSchema);
test.after(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => {});
  await Promise.all([client.shutdown(), jobClient.shutdown()]);
});

test('Cassandra stopped mid-run and started again: the job recovers and finishes, every record in the table', async () => {
  // 100 records every 20 ms at most: the job is still writing when the server goes away.
  const paced = pacedNumbers(total, 100, 20);
  const handle = pipeline({ ...outageSettings(uniqueName('outage')), flowControl: paced.flowControl })
    .from(paced.source)
    .pipe(paced.pace)
    .to(
      cassandraSink({
        client: jobClient,
        statement: cassandraStatement({ query: `INSERT INTO ${table} (n) VALUES (?)`, values: (n: number) => [n], idempotent: true }),
        retry: { initialDelay: 100, maxDelay: 1000, maxAttempts: 5 },
      }),
    )
    .start();
  await throughOutage({ server: 'cassandra', handle, total, written: numbers });
});

test.run();
