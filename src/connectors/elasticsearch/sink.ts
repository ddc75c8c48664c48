import type { Guarantee } from '../../contracts/guarantee.js';
import type { FlushingSink, SinkWriter, SinkWriterContext } from '../../contracts/sink.js';
import { ConfigurationError } from '../../errors.js';
import { BatchingSinkWriter, jsonPreview } from '../shared/batching-writer.js';
import { idempotentFlushingSink } from '../shared/idempotent-sink.js';
import type { BatchingWriterOptions, RejectedEntry } from '../shared/batching-writer.js';
import { ElasticsearchDocumentError, ElasticsearchDocumentTooLargeError, ElasticsearchRequestError, statusOf } from './errors.js';
import type { ElasticsearchCause } from './errors.js';

/** One item of a bulk response, as far as the sink reads it. */
export interface ElasticsearchBulkItem {
  readonly status?: number;
  readonly error?: { readonly type?: string; readonly reason?: string | null } | null;
}

/** A bulk response, as far as the sink reads it. */
export interface ElasticsearchBulkResponse {
  readonly errors?: boolean;
  readonly items?: readonly Readonly<Partial<Record<string, ElasticsearchBulkItem>>>[];
}

/**
 * What the sink needs of an Elasticsearch client: the bulk API. A `Client` of
 * `@elastic/elasticsearch` 8.x or 9.x (matching the server's major version) is one.
 */
export interface ElasticsearchBulkClient {
  bulk(request: { operations: string[]; filter_path?: string | string[] }): Promise<ElasticsearchBulkResponse>;
}

/** A document Elasticsearch refused for good, with the record it came from: what a dead-letter sink gets. */
export interface ElasticsearchDeadLetter<T> {
  readonly record: T;
  /** The document as sent (JSON). */
  readonly document: string;
  readonly index: string;
  /** Its id, when the sink gives ids. */
  readonly id: string | undefined;
  /** The item's HTTP status (413 for a document above `maxDocumentBytes`, never sent). */
  readonly status: number;
  /** What Elasticsearch said (`mapper_parsing_exception`, ...). */
  readonly error: ElasticsearchCause;
}

/**
 * What to do with a document Elasticsearch refuses for good (a mapping
 * conflict, a value it cannot parse) or one above `maxDocumentBytes`: fail
 * the job naming it (`'fail'`, the default), or write it with its error to a
 * dead-letter sink, flushed with this one on every barrier, and go on.
 */
export type ElasticsearchFailureHandler<T> = 'fail' | { readonly deadLetter: FlushingSink<ElasticsearchDeadLetter<T>, Guarantee, Guarantee, boolean> };

/** How the Elasticsearch sink batches: a bulk request goes out at `maxBatchSize` documents, `maxBatchBytes`, or `maxTimeInBuffer` ms after its first document. */
export type ElasticsearchBatchingOptions = Pick<
  BatchingWriterOptions<unknown, unknown>,
  'maxBatchSize' | 'maxBatchBytes' | 'maxInFlightRequests' | 'maxBufferedEntries' | 'maxTimeInBuffer' | 'retry'
>;

/** Options of {@link elasticsearchSink}. */
export interface ElasticsearchSinkOptions<T> extends ElasticsearchBatchingOptions {
  /** The user's client (8.x or 9.x, as the server); the sink never closes it. */
  readonly client: ElasticsearchBulkClient;
  /** The index, or the index of each record (daily indices: `(r) => \`logs-${r.day}\``). */
  readonly index: string | ((record: T) => string);
  /**
   * The document id of each record, derived from the record: documents are
   * written with the `index` action, so a replay overwrites the same
   * document, and the sink is effectively-once for a deterministic stream.
   * Without it Elasticsearch picks ids and a replay adds documents again.
   */
  readonly id?: (record: T) => string;
  /** The document of a record. Default: the record itself. */
  readonly document?: (record: T) => unknown;
  /** What to do with a document refused for good. Default `'fail'`. */
  readonly onFailure?: ElasticsearchFailureHandler<T>;
  /** Bytes of one document (with its action line) at most. Default `maxBatchBytes`. */
  readonly maxDocumentBytes?: number;
}

/** A record ready for a bulk request. */
interface Action<T> {
  readonly record: T;
  readonly index: string;
  readonly id: string | undefined;
  /** The action line and the document, as sent. */
  readonly action: string;
  readonly source: string;
  readonly bytes: number;
}

// Only what the sink reads of each item: a response of thousands of items parses faster.
const filterPath = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

/**
 * Writes records to Elasticsearch with the bulk API, through the batching
 * base: a request goes out by count, bytes or time, a bounded number at a
 * time, and each barrier sends what is buffered and waits until every
 * document is taken (at-least-once). Documents Elasticsearch is too busy for
 * (429, 503, `es_rejected_execution_exception`) are sent again with backoff;
 * one refused for good goes to the failure handler: the job fails naming it,
 * or it goes to a dead-letter sink with its error.
 *
 * With `id`, documents are indexed under ids derived from the record, and a
 * replay overwrites what the first try wrote: for a stream deterministic on
 * replay the index ends up as after a run without failures, and the type says
 * exactly-once (`deterministicOnly`). Without ids, at-least-once: a replay
 * indexes the documents again under new ids.
 */
export function elasticsearchSink<T>(options: ElasticsearchSinkOptions<T> & { readonly id: (record: T) => string }): FlushingSink<T, 'exactly-once', 'at-most-once', true>;
export function elasticsearchSink<T>(options: ElasticsearchSinkOptions<T> & { readonly id?: undefined }): FlushingSink<T, 'at-least-once', 'at-most-once', false>;
export function elasticsearchSink<T>(options: ElasticsearchSinkOptions<T>): FlushingSink<T, 'at-least-once' | 'exactly-once', 'at-most-once', boolean> {
  const { client, index, id, document, onFailure = 'fail', maxDocumentBytes, ...batching } = options;
  if (typeof client !== 'object' || client === null || typeof client.bulk !== 'function') throw new ConfigurationError('elasticsearchSink client must be a Client of @elastic/elasticsearch');
  if (typeof index !== 'function' && (typeof index !== 'string' || index === '')) throw new ConfigurationError('elasticsearchSink index must be an index name or a function from a record to one');
  if (id !== undefined && typeof id !== 'function') throw new ConfigurationError('elasticsearchSink id must be a function from a record to its document id');
  if (document !== undefined && typeof document !== 'function') throw new ConfigurationError('elasticsearchSink document must be a function from a record to its document');
  if (onFailure !== 'fail' && (typeof onFailure !== 'object' || onFailure === null || onFailure.deadLetter?.kind !== 'flushing')) {
    throw new ConfigurationError("elasticsearchSink onFailure must be 'fail' or { deadLetter: sink } with a flushing (at-least-once) sink");
  }
  const maxBatchBytes = batching.maxBatchBytes ?? 5 * 1024 * 1024;
  const maxDocument = maxDocumentBytes ?? maxBatchBytes;
  if (!Number.isInteger(maxDocument) || maxDocument < 1) throw new ConfigurationError(`elasticsearchSink maxDocumentBytes must be a whole number >= 1, got ${maxDocument}`);

  const toAction = (record: T): Action<T> => {
    const name = typeof index === 'function' ? index(record) : index;
    if (typeof name !== 'string' || name === '') throw new ConfigurationError(`elasticsearchSink index gave ${JSON.stringify(name)} for record ${jsonPreview(record)}: an index name is a non-empty string`);
    const docId = id?.(record);
    if (id !== undefined && (typeof docId !== 'string' || docId === '')) {
      throw new ConfigurationError(`elasticsearchSink id gave ${JSON.stringify(docId)} for record ${jsonPreview(record)}: a document id is a non-empty string`);
    }
    const doc = document ? document(record) : record;
    const source = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? JSON.stringify(doc) : undefined;
    if (source === undefined) throw new ConfigurationError(`elasticsearchSink: the document of record ${jsonPreview(record)} is not a JSON object${document ? '' : ' (give a document function)'}`);
    const action = docId === undefined ? `{"index":{"_index":${JSON.stringify(name)}}}` : `{"index":{"_index":${JSON.stringify(name)},"_id":${JSON.stringify(docId)}}}`;
    return { record, index: name, id: docId, action, source, bytes: Buffer.byteLength(action) + Buffer.byteLength(source) + 2 };
  };

  return idempotentFlushingSink('elasticsearch', id !== undefined, async (context: SinkWriterContext<undefined>): Promise<SinkWriter<T>> => {
    const deadLetter = onFailure === 'fail' ? undefined : await onFailure.deadLetter.createWriter({ ...context, taskId: `${context.taskId}/dead-letter` });
    // Indices that took a document from this writer: one answering index_not_found_exception later is on a node
    // going down (the harness's outage test met it as the server stopped), not missing, so its documents are retried.
    const tookDocuments = new Set<string>();
    const took = (actions: readonly Action<T>[], items?: ElasticsearchBulkResponse['items']): void => {
      let last: string | undefined;
      for (const [at, action] of actions.entries()) {
        if (action.index === last || (items && !isTaken(firstValue(items[at])?.status))) continue;
        tookDocuments.add((last = action.index));
      }
    };
    const submit = async (actions: readonly Action<T>[]): Promise<readonly RejectedEntry[]> => {
      const operations: string[] = [];
      for (const a of actions) operations.push(a.action, a.source);
      let response: ElasticsearchBulkResponse;
      try {
        response = await client.bulk({ operations, filter_path: filterPath });
      } catch (error) {
        throw new ElasticsearchRequestError(`${actions.length} document(s) for index '${actions[0]?.index}'${sameIndex(actions) ? '' : ' and others'}`, statusOf(error), error);
      }
      if (!response.errors) {
        took(actions);
        return [];
      }
      const rejected: RejectedEntry[] = [];
      const items = response.items ?? [];
      took(actions, items);
      for (const [at, action] of actions.entries()) {
        const item = firstValue(items[at]);
        const status = item?.status ?? 0;
        if (isTaken(status)) continue;
        const answer = item?.error ? { type: item.error.type ?? 'unknown', reason: item.error.reason ?? '' } : undefined;
        const error = new ElasticsearchDocumentError(action.index, action.id, status, answer, jsonPreview(action.record), tookDocuments.has(action.index));
        if (error.retriable || !deadLetter) rejected.push({ index: at, error });
        else await deadLetter.write(deadLetterOf(action, status, answer ?? { type: 'unknown', reason: `status ${status}` }));
      }
      return rejected;
    };
    const batcher = new BatchingSinkWriter<Action<T>, Action<T>>({
      maxBatchSize: 5000,
      maxInFlightRequests: 2,
      ...batching,
      maxBatchBytes,
      // write() turns larger ones away first; a document above maxBatchBytes goes in a request of its own.
      maxEntryBytes: maxDocument,
      toEntry: (action) => action,
      submit,
      sizeOf: (action) => action.bytes,
      describe: (action) => `document ${action.id === undefined ? '' : `'${action.id}' `}for index '${action.index}' (record ${jsonPreview(action.record)})`,
    });
    return {
      write(record: T) {
        const action = toAction(record);
        if (action.bytes <= maxDocument) return batcher.write(action);
        if (!deadLetter) throw new ElasticsearchDocumentTooLargeError(action.index, action.id, action.bytes, maxDocument, jsonPreview(record));
        return deadLetter.write(deadLetterOf(action, 413, { type: 'document_too_large', reason: `${action.bytes} bytes, above maxDocumentBytes (${maxDocument})` }));
      },
      async flush(final: boolean) {
        await batcher.flush();
        await deadLetter?.flush(final);
      },
      async close() {
        await batcher.close();
        await deadLetter?.close();
      },
    };
  });
}

function deadLetterOf<T>(action: Action<T>, status: number, error: ElasticsearchCause): ElasticsearchDeadLetter<T> {
  return { record: action.record, document: action.source, index: action.index, id: action.id, status, error };
}

function firstValue(item: Readonly<Partial<Record<string, ElasticsearchBulkItem>>> | undefined): ElasticsearchBulkItem | undefined {
  if (!item) return undefined;
  for (const key in item) return item[key];
  return undefined;
}

function sameIndex(actions: readonly Action<unknown>[]): boolean {
  return actions.every((a) => a.index === actions[0]?.index);
}

const isTaken = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;
