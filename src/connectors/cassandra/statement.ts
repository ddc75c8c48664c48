import type { GuaranteeViolation } from '../../contracts/guarantee.js';
import { ConfigurationError } from '../../errors.js';

/** The values bound to a statement's markers: by position (`?`) or by name (`:name`). */
export type CassandraValues = readonly unknown[] | Readonly<Record<string, unknown>>;

/**
 * One CQL statement each record becomes, prepared once and bound per record.
 * `Idempotent` is `true` for a statement declared idempotent (an upsert: a
 * replay writes the same row again), which the sink may type exactly-once for
 * a stream that is deterministic on replay; `false` for one that is not (a
 * counter update adds again, a list append appends again): at-least-once. As
 * a Redis mapper's, the flag is a literal type, fixed when the statement is made.
 */
export interface CassandraStatement<T, Idempotent extends boolean> {
  /** The CQL, with `?` or `:name` markers. */
  readonly query: string;
  /** Whether applying a record's statement twice leaves the table as applying it once. */
  readonly idempotent: Idempotent;
  /** The values bound for one record. */
  values(record: T): CassandraValues;
}

/** Options of {@link cassandraStatement}. */
export interface CassandraStatementOptions<T, Q extends string, I extends boolean> {
  /** The CQL, with `?` or `:name` markers: `INSERT INTO shop.prices (sku, price) VALUES (?, ?)`. */
  readonly query: Q;
  /** The values bound for one record, in the order of the markers (or by name). */
  readonly values: (record: T) => CassandraValues;
  /**
   * Whether the statement is idempotent: applied twice, it leaves the table as
   * applied once (INSERT and UPDATE that set values from the record; DELETE).
   * `false` for counter updates (`n = n + ?`), list appends and prepends, and
   * values the server makes (`now()`, `uuid()`). Declaring one of those
   * idempotent does not compile when the query is a literal, and throws
   * otherwise.
   */
  readonly idempotent: I;
}

type Spaced<S extends string> = S extends `${infer A}\n${infer B}` ? Spaced<`${A} ${B}`> : S extends `${infer A}\t${infer B}` ? Spaced<`${A} ${B}`> : S;

/** The assignments of an UPDATE: what comes between SET and WHERE (or IF, or the end). */
type Assignments<Q extends string> = Q extends `${string}update ${string} set ${infer Rest}` ? (Rest extends `${infer A} where ${string}` ? A : Rest) : '';

type ServerValue = 'now()' | 'uuid()' | 'current_timestamp()' | 'current_date()' | 'current_time()' | 'current_timeuuid()' | 'currenttimestamp()' | 'currentdate()' | 'currenttime()' | 'currenttimeuuid()';

/**
 * Why a literal query cannot be idempotent, as a {@link GuaranteeViolation};
 * `unknown` when nothing in it says so, or when the query is not a literal
 * (then {@link cassandraStatement} checks it when called).
 */
export type IdempotentQueryCheck<Q extends string> = string extends Q
  ? unknown
  : Assignments<Spaced<Lowercase<Q>>> extends `${string}${'+' | '-'}${string}`
    ? GuaranteeViolation<'a statement that adds to a column (a counter update, a list append or prepend) applies again on replay: it is not idempotent (declare idempotent: false)'>
    : Spaced<Lowercase<Q>> extends `${string}${ServerValue}${string}`
      ? GuaranteeViolation<'now(), uuid() and current_*() make a new value on every replay: the statement is not idempotent (bind the value from the record instead)'>
      : unknown;

const addsToColumn = /\bupdate\b[\s\S]*?\bset\b(?<assignments>[\s\S]*?)(?:\bwhere\b|$)/i;
const serverValue = /\b(?:now|uuid|current_?timestamp|current_?date|current_?time|current_?timeuuid)\s*\(\s*\)/i;

/** Why `query` cannot be idempotent, or undefined: the run-time counterpart of {@link IdempotentQueryCheck}, which also sees queries built at run time. */
export function notIdempotentBecause(query: string): string | undefined {
  if (/[+-]/.test(addsToColumn.exec(query)?.groups?.['assignments'] ?? '')) return 'it adds to a column (a counter update, a list append or prepend), which applies again on replay';
  if (serverValue.test(query)) return 'now(), uuid() and current_*() make a new value on every replay';
  return undefined;
}

/**
 * A CQL statement for {@link cassandraSink}: prepared once, bound per record
 * with `values`. Declare it `idempotent: true` only when applying a record's
 * statement twice leaves the table as applying it once; the query is checked
 * for what never is (a counter update, a list append or prepend, `now()`,
 * `uuid()`): at compile time when it is a literal, when called otherwise.
 * Annotate the record parameter of `values` (`(p: Price) => [p.sku, p.price]`):
 * the record type is inferred from it, and the query's literal type kept.
 */
export function cassandraStatement<T, const Q extends string, const I extends boolean>(
  options: CassandraStatementOptions<T, Q, I> & (I extends true ? { readonly idempotent: IdempotentQueryCheck<Q> } : unknown),
): CassandraStatement<T, I> {
  const { query, values, idempotent } = options as CassandraStatementOptions<T, Q, I>;
  if (typeof query !== 'string' || query.trim() === '') throw new ConfigurationError('cassandraStatement query must be a CQL statement');
  if (typeof values !== 'function') throw new ConfigurationError(`cassandraStatement values must be a function from a record to the values of '${query}'`);
  if (typeof idempotent !== 'boolean') throw new ConfigurationError(`cassandraStatement idempotent must be true or false for '${query}'`);
  const because = idempotent ? notIdempotentBecause(query) : undefined;
  if (because) throw new ConfigurationError(`cassandraStatement '${query}' is declared idempotent, but ${because}: declare it idempotent: false`);
  return { query, idempotent, values };
}
