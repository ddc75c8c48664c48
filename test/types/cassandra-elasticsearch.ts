// Type-level rules for the Cassandra and Elasticsearch sinks: exactly-once only for a statement
// declared idempotent (documents with ids) and a stream deterministic on replay.
import { Client as CassandraClient } from 'cassandra-driver';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { collectionSource, concatMap, count, fileSource, keyBy, pipeline } from 'onceflow';
import type { Job } from 'onceflow';
import { collectingSink } from 'onceflow/testing';
import { cassandraSink, cassandraStatement } from 'onceflow/cassandra';
import { elasticsearchSink } from 'onceflow/elasticsearch';
import type { ElasticsearchDeadLetter } from 'onceflow/elasticsearch';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

interface Price {
  readonly sku: string;
  readonly price: number;
}
const prices: Price[] = [];
const checked = { id: 'types', checkpoints: { interval: 1000 } } as const;
const client = new CassandraClient({ contactPoints: ['127.0.0.1'], localDataCenter: 'datacenter1' });
const writeAhead = { committerTable: 'shop.onceflow_commits' };

const upsert = cassandraStatement({ query: 'INSERT INTO shop.prices (sku, price) VALUES (?, ?)', values: (p: Price) => [p.sku, p.price], idempotent: true });
const update = cassandraStatement({ query: 'UPDATE shop.prices SET price = ? WHERE sku = ?', values: (p: Price) => [p.price, p.sku], idempotent: true });
const counter = cassandraStatement({ query: 'UPDATE shop.sales SET n = n + 1 WHERE sku = ?', values: (p: Price) => [p.sku], idempotent: false });
const appended = cassandraStatement({ query: 'UPDATE shop.history SET prices = prices + ? WHERE sku = ?', values: (p: Price) => [[p.price], p.sku], idempotent: false });

// The write-ahead mode with an idempotent upsert, on a deterministic stream: exactly-once.
const ahead = pipeline({ ...checked, guarantee: 'exactly-once' }).from(collectionSource(prices)).to(cassandraSink({ client, statement: upsert, writeAhead }));
expectType<Equal<typeof ahead, Job<'exactly-once'>>>();
// Idempotent statements flushed on barriers: the same, as for the Redis sink's idempotent commands.
const flushed = pipeline(checked).from(fileSource({ path: 'in' })).pipe(keyBy((line: string) => line), count()).to(
  cassandraSink({ client, statement: cassandraStatement({ query: 'INSERT INTO shop.counts (word, n) VALUES (?, ?)', values: (c: { key: string; value: number }) => [c.key, c.value], idempotent: true }) }),
);
expectType<Equal<typeof flushed, Job<'exactly-once'>>>();
const updated = pipeline(checked).from(collectionSource(prices)).to(cassandraSink({ client, statement: update, batch: 'logged' }));
expectType<Equal<typeof updated, Job<'exactly-once'>>>();
// A counter update or a list append applies again on replay: at-least-once...
const counted = pipeline(checked).from(collectionSource(prices)).to(cassandraSink({ client, statement: counter }));
expectType<Equal<typeof counted, Job<'at-least-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(collectionSource(prices)).to(cassandraSink({ client, statement: appended }));
// ... and in the write-ahead mode it does not compile.
// @ts-expect-error the write-ahead mode needs a statement declared idempotent
cassandraSink({ client, statement: counter, writeAhead });
// @ts-expect-error the write-ahead mode needs a statement declared idempotent
cassandraSink({ client, statement: appended, writeAhead });
// Nor can such a statement be declared idempotent.
// @ts-expect-error a statement that adds to a column (a counter update, a list append or prepend) applies again on replay
cassandraStatement({ query: 'UPDATE shop.sales SET n = n + 1 WHERE sku = ?', values: (p: Price) => [p.sku], idempotent: true });
// @ts-expect-error a statement that adds to a column
cassandraStatement({ query: 'UPDATE shop.history SET prices = ? + prices WHERE sku = ?', values: (p: Price) => [[p.price], p.sku], idempotent: true });
// @ts-expect-error now(), uuid() and current_*() make a new value on every replay
cassandraStatement({ query: 'INSERT INTO shop.events (sku, at) VALUES (?, now())', values: (p: Price) => [p.sku], idempotent: true });
// A template keeps its shape in the type, so it is checked too.
const column: string = 'n';
// @ts-expect-error a statement that adds to a column
cassandraStatement({ query: `UPDATE shop.sales SET ${column} = ${column} + 1 WHERE sku = ?`, values: (p: Price) => [p.sku], idempotent: true });
// A query built at run time is checked when the statement is made.
const built: string = ['INSERT INTO', 'shop.prices', '(sku) VALUES (?)'].join(' ');
const dynamic = cassandraStatement({ query: built, values: (p: Price) => [p.sku], idempotent: true });
expectType<Equal<typeof dynamic, ReturnType<typeof cassandraStatement<Price, string, true>>>>();

// Replay nondeterministic: idempotent writes are not enough, in either mode.
const unordered = pipeline(checked)
  .from(collectionSource(prices))
  .pipe(concatMap(async (p: Price) => p))
  .to(cassandraSink({ client, statement: upsert, writeAhead }));
expectType<Equal<typeof unordered, Job<'at-least-once'>>>();
pipeline({ ...checked, guarantee: 'exactly-once' })
  .from(collectionSource(prices))
  .pipe(concatMap(async (p: Price) => p))
  // @ts-expect-error pipeline needs exactly-once but the sink is exactly-once only for a deterministic stream and concatMap makes the stream nondeterministic on replay
  .to(cassandraSink({ client, statement: upsert, writeAhead }));

const es = new ElasticsearchClient({ node: 'http://127.0.0.1:9200' });
// Ids derived from the record: a replay overwrites the same documents, exactly-once for a deterministic stream.
const indexed = pipeline({ ...checked, guarantee: 'exactly-once' })
  .from(collectionSource(prices))
  .to(elasticsearchSink({ client: es, index: (p: Price) => `prices-${p.sku.slice(0, 2)}`, id: (p) => p.sku }));
expectType<Equal<typeof indexed, Job<'exactly-once'>>>();
// Without ids Elasticsearch picks them and a replay adds documents: at-least-once.
const auto = pipeline(checked).from(collectionSource(prices)).to(elasticsearchSink<Price>({ client: es, index: 'prices' }));
expectType<Equal<typeof auto, Job<'at-least-once'>>>();
// @ts-expect-error pipeline needs exactly-once but the sink delivers at-least-once
pipeline({ ...checked, guarantee: 'exactly-once' }).from(collectionSource(prices)).to(elasticsearchSink<Price>({ client: es, index: 'prices' }));
const unorderedIds = pipeline(checked)
  .from(collectionSource(prices))
  .pipe(concatMap(async (p: Price) => p))
  .to(elasticsearchSink({ client: es, index: 'prices', id: (p: Price) => p.sku }));
expectType<Equal<typeof unorderedIds, Job<'at-least-once'>>>();
// A dead-letter sink takes the records Elasticsearch refused, with their errors.
const deadLetter = collectingSink<ElasticsearchDeadLetter<Price>>();
const withDeadLetter = pipeline(checked).from(collectionSource(prices)).to(elasticsearchSink({ client: es, index: 'prices', id: (p: Price) => p.sku, onFailure: { deadLetter } }));
expectType<Equal<typeof withDeadLetter, Job<'exactly-once'>>>();
// @ts-expect-error Type 'CollectingSink<ElasticsearchDeadLetter<string>>' is not assignable
elasticsearchSink({ client: es, index: 'prices', id: (p: Price) => p.sku, onFailure: { deadLetter: collectingSink<ElasticsearchDeadLetter<string>>() } });
