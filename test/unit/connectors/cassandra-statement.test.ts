// The Cassandra statement's idempotency check at run time (for queries built at run time and
// callers without types), and the sink's option checks: no server needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Client } from 'cassandra-driver';
import { ConfigurationError } from 'onceflow';
import { cassandraSink, cassandraStatement, notIdempotentBecause } from 'onceflow/cassandra';
import type { CassandraStatement } from 'onceflow/cassandra';

test('queries that apply again on replay are told apart from upserts, whatever their case and spacing', () => {
  for (const query of [
    'UPDATE ks.c SET n = n + 1 WHERE k = ?',
    'update ks.c set n=n-? where k=?',
    'UPDATE ks.l USING TTL 60\n  SET items = items + ?\n  WHERE k = ?',
    'UPDATE ks.l SET items = ? + items WHERE k = ?',
  ]) {
    assert.match(notIdempotentBecause(query) ?? '', 'adds to a column', query);
  }
  for (const query of ['INSERT INTO ks.t (k, at) VALUES (?, now())', 'INSERT INTO ks.t (k, id) VALUES (?, uuid())', 'UPDATE ks.t SET at = currentTimestamp() WHERE k = ?', 'UPDATE ks.t SET at = current_timestamp ( ) WHERE k = ?']) {
    assert.match(notIdempotentBecause(query) ?? '', 'new value on every replay', query);
  }
  for (const query of [
    'INSERT INTO ks.t (k, v) VALUES (?, ?)',
    'UPDATE ks.t SET v = ?, w = ? WHERE k = ? IF v = ?',
    'INSERT INTO ks.t (k, v) VALUES (?, ?) IF NOT EXISTS',
    'DELETE FROM ks.t WHERE k = ?',
    'UPDATE ks.t SET m[?] = ? WHERE k = ?',
    'INSERT INTO ks.t (now_ish, uuids) VALUES (?, ?)',
  ]) {
    assert.is(notIdempotentBecause(query), undefined, query);
  }
});

test('a query built at run time and declared idempotent is checked when the statement is made', () => {
  // Typed string (a template of a string variable keeps its shape in the type, and is checked at compile time).
  const query: string = ['UPDATE ks.c SET n = n', '+ 1 WHERE k = ?'].join(' ');
  assert.throws(
    () => cassandraStatement({ query, values: (k: string) => [k], idempotent: true }),
    (error: unknown) => error instanceof ConfigurationError && /declared idempotent, but it adds to a column/.test(error.message),
  );
  assert.is(cassandraStatement({ query, values: (k: string) => [k], idempotent: false }).idempotent, false);
});

const client = { execute: async () => undefined, batch: async () => undefined } as unknown as Client;

test('the write-ahead mode refuses a statement that is not idempotent, and a committer table that is not keyspace.table', () => {
  const counter = cassandraStatement({ query: 'UPDATE ks.c SET n = n + 1 WHERE k = ?', values: (k: string) => [k], idempotent: false });
  assert.throws(
    () => cassandraSink({ client, statement: counter as unknown as CassandraStatement<string, true>, writeAhead: { committerTable: 'ks.commits' } }),
    /needs a statement declared idempotent/,
  );
  const upsert = cassandraStatement({ query: 'INSERT INTO ks.t (k) VALUES (?)', values: (k: string) => [k], idempotent: true });
  assert.throws(() => cassandraSink({ client, statement: upsert, writeAhead: { committerTable: 'commits' } }), /must be 'keyspace.table'/);
  assert.throws(() => cassandraSink({ client, statement: upsert, writeAhead: { committerTable: 'ks.commits', maxPendingRecords: 0 } }), /maxPendingRecords/);
  assert.is(cassandraSink({ client, statement: upsert, writeAhead: { committerTable: '"Ks"."Commits"' } }).kind, 'committing');
});

test('the sink says what it needs of a client and a statement', () => {
  const upsert = cassandraStatement({ query: 'INSERT INTO ks.t (k) VALUES (?)', values: (k: string) => [k], idempotent: true });
  assert.throws(() => cassandraSink({ client: {} as Client, statement: upsert }), /client must be a cassandra-driver Client/);
  assert.throws(() => cassandraSink({ client, statement: { query: 'x' } as unknown as typeof upsert }), /made with cassandraStatement/);
  assert.throws(() => cassandraSink({ client, statement: upsert, batch: 'sometimes' as 'logged' }), /batch must be 'logged' or 'unlogged'/);
});

test.run();
