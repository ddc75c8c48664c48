import { Client } from 'cassandra-driver';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

const client = new Client({ contactPoints: requireServer('cassandra').split(','), localDataCenter: 'datacenter1' });
const keyspace = uniqueName('onceflow_smoke');

test.before(async () => {
  await client.connect();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await client.execute(`CREATE TABLE ${keyspace}.counts (word text PRIMARY KEY, n bigint)`);
});

test.after(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await client.shutdown();
});

test('an insert is read back, and repeating it (an idempotent replay) changes nothing', async () => {
  const insert = `INSERT INTO ${keyspace}.counts (word, n) VALUES (?, ?)`;
  await client.execute(insert, ['flink', 3], { prepare: true });
  await client.execute(insert, ['flink', 3], { prepare: true });
  const result = await client.execute(`SELECT word, n FROM ${keyspace}.counts WHERE word = ?`, ['flink'], { prepare: true });
  assert.is(result.rows.length, 1);
  assert.is(result.rows[0]?.['word'], 'flink');
  assert.is(String(result.rows[0]?.['n']), '3');
});

test.run();
