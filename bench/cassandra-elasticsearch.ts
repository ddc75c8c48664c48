/**
 * Figure 8: records/s into the Cassandra and Elasticsearch sinks, checkpoints every 1 s, against
 * the plain client doing the same writes in one run, alternately: cassandra-driver's
 * `executeConcurrent` (prepared, 128 in flight) for the Cassandra sink (at-least-once, and the
 * write-ahead mode), the client's bulk helper (`client.helpers.bulk`, its defaults: 5 MB flushes,
 * 5 in flight) for the Elasticsearch sink (documents with ids). Both variants write the same
 * records into a fresh table or index each run. Needs the harness's Cassandra and Elasticsearch
 * (`npm run services -- up cassandra elasticsearch`, and the variables it prints); without them
 * it measures nothing and says so.
 */
import { Client as CassandraClient, concurrent } from 'cassandra-driver';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { collectionSource, memoryStore, pipeline } from 'onceflow';
import { cassandraSink, cassandraStatement } from 'onceflow/cassandra';
import { elasticsearchSink } from 'onceflow/elasticsearch';
import type { BenchOptions, Figure } from './measure.js';
import { rateFigure, runIfMain } from './measure.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Reading {
  readonly id: number;
  readonly sensor: string;
  readonly value: number;
}

const readings = (count: number): Reading[] => Array.from({ length: count }, (_, id) => ({ id, sensor: `sensor-${id % 1000}`, value: id / 7 }));

async function runJob(job: { start(): { done: Promise<unknown> } }): Promise<void> {
  await job.start().done;
}

/** One way of writing the records: set up a fresh table or index (untimed), write (timed), check everything landed (untimed). */
interface Variant {
  prepare(): Promise<void>;
  run(): Promise<void>;
  check(): Promise<void>;
}

/** Seconds of each variant's runs, alternately after one warm-up run of each (as measure.ts's interleaved(), with the untimed set-up and check around each run). */
async function alternately(runs: number, a: Variant, b: Variant): Promise<{ a: number[]; b: number[] }> {
  const seconds = { a: [] as number[], b: [] as number[] };
  for (let run = -1; run < runs; run++) {
    for (const [variant, into] of [
      [a, seconds.a],
      [b, seconds.b],
    ] as const) {
      await variant.prepare();
      const start = process.hrtime.bigint();
      await variant.run();
      const took = Number(process.hrtime.bigint() - start) / 1e9;
      await variant.check();
      if (run >= 0) into.push(took);
    }
  }
  return seconds;
}

async function cassandraFigures(contactPoints: string, records: readonly Reading[], runs: number): Promise<Figure[]> {
  const client = new CassandraClient({ contactPoints: contactPoints.split(','), localDataCenter: 'datacenter1' });
  const keyspace = `onceflow_bench_${Date.now().toString(36)}`;
  let tables = 0;
  const freshTable = async (): Promise<string> => {
    const table = `${keyspace}.readings_${++tables}`;
    await client.execute(`CREATE TABLE ${table} (id int PRIMARY KEY, sensor text, value double)`);
    return table;
  };
  const count = async (table: string): Promise<number> => Number((await client.execute(`SELECT count(*) FROM ${table}`)).first().get(0));
  const insert = (table: string): string => `INSERT INTO ${table} (id, sensor, value) VALUES (?, ?, ?)`;
  const values = (r: Reading): unknown[] => [r.id, r.sensor, r.value];
  try {
    await client.connect();
    await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    // The table is made before the clock starts; the count after it stops checks the run wrote everything.
    const timedInto = (write: (table: string) => Promise<void>): Variant => {
      let table = '';
      return {
        prepare: async () => void (table = await freshTable()),
        run: () => write(table),
        check: async () => {
          const written = await count(table);
          if (written !== records.length) throw new Error(`${table} holds ${written} rows, not ${records.length}`);
        },
      };
    };
    const plain = timedInto(async (table) => {
      // A write timed out on a loaded machine would end the run: as the sink retries, so does the baseline (all again: upserts).
      for (let attempt = 1; ; attempt++) {
        const { errors } = await concurrent.executeConcurrent(client, insert(table), records.map(values), { concurrencyLevel: 128, raiseOnFirstError: false });
        if (errors.length === 0) return;
        if (attempt === 3) throw errors[0];
      }
    });
    const sink = (writeAhead: boolean) =>
      timedInto(async (table) => {
        const statement = cassandraStatement({ query: insert(table), values, idempotent: true });
        const settings = { id: `bench-${table}`, checkpoints: { interval: 1000, store: memoryStore() }, logger: silent, signals: false };
        const source = collectionSource(records);
        await runJob(
          writeAhead
            ? pipeline(settings).from(source).to(cassandraSink({ client, statement, writeAhead: { committerTable: `${keyspace}.commits` } }))
            : pipeline(settings).from(source).to(cassandraSink({ client, statement })),
        );
      });
    const direct = await alternately(runs, sink(false), plain);
    const ahead = await alternately(runs, sink(true), plain);
    const details = (s: { a: number[]; b: number[] }) => ({ records: records.length, onceflowSeconds: s.a, plainSeconds: s.b, concurrencyLevel: 128 });
    return [
      {
        figure: `8a. ${records.length / 1000}k rows into Cassandra, cassandraSink (at-least-once, checkpoints every 1 s) vs executeConcurrent`,
        ...rateFigure(records.length, direct.a, direct.b),
        target: { op: '>=', value: 0.8 },
        details: details(direct),
      },
      {
        figure: `8b. the same, cassandraSink write-ahead (exactly-once: a checkpoint's rows applied when it completes) vs executeConcurrent`,
        ...rateFigure(records.length, ahead.a, ahead.b),
        target: { op: '>=', value: 0.8 },
        details: details(ahead),
      },
    ];
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => {});
    await client.shutdown();
  }
}

async function elasticsearchFigure(url: string, records: readonly Reading[], runs: number): Promise<Figure[]> {
  const client = new ElasticsearchClient({ node: url });
  const prefix = `onceflow-bench-${Date.now().toString(36)}`;
  let indices = 0;
  const created: string[] = [];
  try {
    let index = '';
    const prepare = async (): Promise<void> => {
      index = `${prefix}-${++indices}`;
      created.push(index);
      await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
    };
    const check = async (): Promise<void> => {
      await client.indices.refresh({ index });
      const { count } = await client.count({ index });
      if (count !== records.length) throw new Error(`${index} holds ${count} documents, not ${records.length}`);
    };
    const plain: Variant = {
      prepare,
      check,
      run: async () => {
        const stats = await client.helpers.bulk<Reading>({ datasource: [...records], onDocument: (r) => ({ index: { _index: index, _id: String(r.id) } }) });
        if (stats.failed > 0) throw new Error(`the bulk helper failed ${stats.failed} documents`);
      },
    };
    const sink: Variant = {
      prepare,
      check,
      run: () =>
        runJob(
          pipeline({ id: `bench-${index}`, checkpoints: { interval: 1000, store: memoryStore() }, logger: silent, signals: false })
            .from(collectionSource(records))
            .to(elasticsearchSink({ client, index, id: (r: Reading) => String(r.id) })),
        ),
    };
    const seconds = await alternately(runs, sink, plain);
    return [
      {
        figure: `8c. ${records.length / 1000}k documents into Elasticsearch, elasticsearchSink with ids (checkpoints every 1 s) vs the client's bulk helper`,
        ...rateFigure(records.length, seconds.a, seconds.b),
        target: { op: '>=', value: 0.8 },
        details: { records: records.length, onceflowSeconds: seconds.a, plainSeconds: seconds.b },
      },
    ];
  } finally {
    if (created.length > 0) await client.indices.delete({ index: created, ignore_unavailable: true }).catch(() => {});
    await client.close();
  }
}

export async function cassandraElasticsearch({ full }: BenchOptions): Promise<Figure[]> {
  const cassandra = process.env['ONCEFLOW_CASSANDRA_CONTACT_POINTS'];
  const elasticsearch = process.env['ONCEFLOW_ELASTICSEARCH_URL'];
  if (!cassandra || !elasticsearch) {
    console.error('figure 8 not measured: ONCEFLOW_CASSANDRA_CONTACT_POINTS and ONCEFLOW_ELASTICSEARCH_URL are not set (npm run services -- up cassandra elasticsearch)');
    return [];
  }
  const records = readings(full ? 200_000 : 50_000);
  const runs = full ? 5 : 3;
  return [...(await cassandraFigures(cassandra, records, runs)), ...(await elasticsearchFigure(elasticsearch, records, runs))];
}

runIfMain(import.meta.url, cassandraElasticsearch);
