// The Cassandra sink against the real Cassandra 5: the connector test kit in each mode, the
// write-ahead mode's committer table, and bad input failing the job naming the record.
import { Client } from 'cassandra-driver';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, concatMap, isRetriable, memoryStore, pipeline } from 'onceflow';
import { cassandraSink, cassandraStatement } from 'onceflow/cassandra';
import type { CassandraWriteAheadCommittable } from 'onceflow/cassandra';
import { commitWith, sinkTestCases } from 'onceflow/testing';
import type { ConnectorTestCase } from 'onceflow/testing';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer, uniqueName } from '../env.js';
import { useKeyspace } from './keyspaces.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`cassandra sink seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const client = new Client({ contactPoints: requireServer('cassandra').split(','), localDataCenter: 'datacenter1' });
const keyspace = uniqueName('onceflow_sink');
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

useKeyspace(test, client, keyspace);

/** A fresh table `keyspace.<prefix>_...` made with `columns`. */
async function createTable(prefix: string, columns: string): Promise<string> {
  const table = `${keyspace}.${uniqueName(prefix)}`;
  await client.execute(`CREATE TABLE ${table} (${columns})`);
  return table;
}

async function lines(table: string): Promise<string[]> {
  return (await client.execute(`SELECT line FROM ${table}`)).rows.map((row) => row.get('line') as string);
}

// At-least-once: every write adds a row (now() in the key), so a replay shows as a duplicate.
let appended = '';
register(
  sinkTestCases(
    {
      name: 'cassandraSink, a statement that is not idempotent',
      async setUp() {
        appended = await createTable('appended', 'line text, at timeuuid, PRIMARY KEY (line, at)');
      },
      createSink: () =>
        cassandraSink({ client, statement: cassandraStatement({ query: `INSERT INTO ${appended} (line, at) VALUES (?, now())`, values: (line: string) => [line], idempotent: false }) }),
      read: () => lines(appended),
    },
    { random },
  ),
);

// Idempotent upserts, flushed on each barrier: exactly-once for the kit's deterministic stream.
let upserted = '';
register(
  sinkTestCases(
    {
      name: 'cassandraSink, an idempotent upsert',
      async setUp() {
        upserted = await createTable('upserted', 'line text PRIMARY KEY');
      },
      createSink: () => cassandraSink({ client, statement: cassandraStatement({ query: `INSERT INTO ${upserted} (line) VALUES (?)`, values: (line: string) => [line], idempotent: true }), batch: 'unlogged' }),
      read: () => lines(upserted),
    },
    { random },
  ),
);

// The write-ahead mode: each case its own committer table, since every kit job has the same id.
let ahead = '';
let committed = '';
register(
  sinkTestCases(
    {
      name: 'cassandraSink, write-ahead',
      async setUp() {
        ahead = await createTable('ahead', 'line text PRIMARY KEY');
        committed = `${keyspace}.${uniqueName('commits')}`;
      },
      createSink: () =>
        cassandraSink({
          client,
          statement: cassandraStatement({ query: `INSERT INTO ${ahead} (line) VALUES (?)`, values: (line: string) => [line], idempotent: true }),
          writeAhead: { committerTable: committed },
        }),
      read: () => lines(ahead),
    },
    { random },
  ),
);

test('write-ahead: the committer table keeps one row per job and sink, at the last checkpoint applied', async () => {
  const table = await createTable('kept', 'n int PRIMARY KEY');
  const commits = `${keyspace}.${uniqueName('commits')}`;
  const statement = cassandraStatement({ query: `INSERT INTO ${table} (n) VALUES (?)`, values: (n: number) => [n], idempotent: true });
  const id = uniqueName('kept');
  const events: number[] = [];
  // The source pauses behind the pauses (flow control), so it is not exhausted at once and checkpoints fall in between.
  const handle = pipeline({ id, checkpoints: { interval: 10, store: memoryStore() }, flowControl: { highWaterMark: 100, lowWaterMark: 50 }, logger: silent, signals: false })
    .from(collectionSource(Array.from({ length: 5000 }, (_, n) => n), { chunkSize: 50 }))
    .pipe(concatMap(async (n: number) => (n % 500 === 0 ? new Promise<number>((resolve) => setTimeout(() => resolve(n), 40)) : n), { deterministic: true }))
    .to(cassandraSink({ client, statement, writeAhead: { committerTable: commits } }))
    .start();
  handle.events.subscribe((e) => void (e.type === 'checkpoint-completed' && events.push(e.checkpointId)));
  await handle.done;
  assert.ok(events.length > 2, `several checkpoints completed (${events.length})`);
  const rows = (await client.execute(`SELECT job_id, sink_id, checkpoint_id FROM ${commits}`)).rows;
  assert.is(rows.length, 1, 'one row, not one per checkpoint');
  // The last checkpoint with records in it: the final one may have had none left to apply.
  const marker = Number(rows[0]?.get('checkpoint_id'));
  assert.ok(events.includes(marker) && marker > (events[0] as number), `at a later checkpoint than the first (${marker} of ${events.join(', ')})`);
  assert.is(Number((await client.execute(`SELECT count(*) FROM ${table}`)).first().get(0)), 5000);
});

test('write-ahead: a checkpoint the committer table says was applied is not applied again (its writetime stays)', async () => {
  const table = await createTable('again', 'n int PRIMARY KEY, v text');
  const commits = `${keyspace}.${uniqueName('commits')}`;
  const sink = cassandraSink({
    client,
    statement: cassandraStatement({ query: `INSERT INTO ${table} (n, v) VALUES (?, ?)`, values: (n: number) => [n, `v${n}`], idempotent: true }),
    writeAhead: { committerTable: commits },
  });
  const committable: CassandraWriteAheadCommittable<number> = { jobId: 'again', sinkId: 'sink-cassandra-write-ahead', checkpointId: 7, records: [1, 2, 3] };
  const committer = sink.createCommitter();
  assert.equal(await commitWith(committer, [committable], 7), { committed: 1, alreadyCommitted: 0 });
  const writetime = async () => (await client.execute(`SELECT writetime(v) AS w FROM ${table} WHERE n = 2`)).first().get('w').toString();
  const first = await writetime();
  // A restore hands the restored checkpoint's committable over again, and an older one after it.
  assert.equal(await commitWith(committer, [committable], 7), { committed: 0, alreadyCommitted: 1 });
  assert.equal(await commitWith(committer, [{ ...committable, checkpointId: 6, records: [2] }], 7), { committed: 0, alreadyCommitted: 1 });
  assert.is(await writetime(), first, 'not written again');
  // A committable carried over from a discarded checkpoint comes with the next one: both applied, in order.
  assert.equal(await commitWith(committer, [{ ...committable, checkpointId: 9, records: [9] }, { ...committable, checkpointId: 8, records: [8] }], 9), { committed: 2, alreadyCommitted: 0 });
  assert.is((await client.execute(`SELECT count(*) FROM ${table}`)).first().get(0).toString(), '5');
});

test('write-ahead: a job starting afresh beside a checkpoint it applied refuses, unless told to replay', async () => {
  const table = await createTable('fresh', 'n int PRIMARY KEY');
  const commits = `${keyspace}.${uniqueName('commits')}`;
  const statement = cassandraStatement({ query: `INSERT INTO ${table} (n) VALUES (?)`, values: (n: number) => [n], idempotent: true });
  const id = uniqueName('fresh');
  const job = (replayCommittedOutput: boolean) =>
    pipeline({ id, checkpoints: { interval: 10, store: memoryStore(), replayCommittedOutput }, logger: silent, signals: false })
      .from(collectionSource([1, 2, 3]))
      .to(cassandraSink({ client, statement, writeAhead: { committerTable: commits } }));
  await job(false).run();
  const refused = await job(false).run().then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.instance(refused, Error);
  assert.match(String((refused as Error).message), /ResumeWouldDuplicateError|was applied, but the job starts from scratch/);
  assert.is((await job(true).run()).outcome, 'finished');
});

test('a value of the wrong type fails the job naming the record, in either mode', async () => {
  const table = await createTable('typed', 'id int PRIMARY KEY, n int');
  const records = [
    { id: 1, n: 1 },
    { id: 2, n: 'two' as unknown as number },
    { id: 3, n: 3 },
  ];
  const statement = cassandraStatement({ query: `INSERT INTO ${table} (id, n) VALUES (?, ?)`, values: (r: { id: number; n: number }) => [r.id, r.n], idempotent: true });
  for (const writeAhead of [undefined, { committerTable: `${keyspace}.${uniqueName('commits')}` }]) {
    const run = pipeline({ id: uniqueName('typed'), checkpoints: { interval: 10, store: memoryStore() }, logger: silent, signals: false })
      .from(collectionSource(records))
      .to(writeAhead ? cassandraSink({ client, statement, writeAhead }) : cassandraSink({ client, statement }))
      .run();
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, Error, `${writeAhead ? 'write-ahead' : 'at-least-once'}: the job failed`);
    const message = (error as Error).message;
    assert.match(message, '{"id":2,"n":"two"}', `the error names the record: ${message}`);
    assert.match(message, 'Expected Number', `and says what is wrong: ${message}`);
    assert.not.ok(isRetriable((error as Error).cause), 'a restart would meet it again: not retriable');
  }
});

test.run();
