// What the Cassandra suites share: a keyspace of their own, and every row of a query, page by page.
import type { Client, types } from 'cassandra-driver';
import type { Test } from 'uvu';

/** CQL that creates `keyspace` (one replica: the harness runs one node), unless it exists. */
export function createKeyspace(keyspace: string): string {
  return `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`;
}

/** Every row `query` selects: `execute` alone returns the first page only. */
export async function allRows(client: Client, query: string): Promise<types.Row[]> {
  const rows: types.Row[] = [];
  let pageState: string | undefined;
  do {
    const page = await client.execute(query, [], { fetchSize: 5000, ...(pageState === undefined ? {} : { pageState }) });
    rows.push(...page.rows);
    pageState = page.pageState ?? undefined;
  } while (pageState);
  return rows;
}

/** A suite's own keyspace: created before its tests, dropped after them, and then the client shut down. */
export function useKeyspace(suite: Test, client: Client, keyspace: string): void {
  suite.before(async () => {
    await client.connect();
    await client.execute(createKeyspace(keyspace));
  });
  suite.after(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client.shutdown();
  });
}
