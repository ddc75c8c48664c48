import { messageOf, OnceflowError } from '../../errors.js';

/** What Elasticsearch says about a refused document (a bulk item's `error`). */
export interface ElasticsearchCause {
  readonly type: string;
  readonly reason: string;
}

// Per-item statuses and error types Elasticsearch gives when it is too busy: a later try may pass.
const busyStatuses = new Set([429, 503]);
const busyTypes = new Set(['es_rejected_execution_exception', 'circuit_breaking_exception', 'unavailable_shards_exception', 'cluster_block_exception']);

/** Whether a bulk item's failure may pass when the document is sent again (429, 503, rejected execution). */
export function isBusyItem(status: number, cause: ElasticsearchCause | undefined): boolean {
  return busyStatuses.has(status) || busyTypes.has(cause?.type ?? '');
}

/**
 * Elasticsearch refused one document of a bulk request: a mapping conflict,
 * an invalid index name, a value it cannot parse (not retriable), or it was
 * too busy to take it (429, 503, `es_rejected_execution_exception`: retriable).
 * `index_not_found_exception` is retriable for an index the writer has written
 * to: a node shutting down drops its indices while it still answers, and the
 * index is back when the node is.
 */
export class ElasticsearchDocumentError extends OnceflowError {
  override readonly name = 'ElasticsearchDocumentError';
  constructor(
    /** The index the document was for. */
    readonly index: string,
    /** The document's id, when the sink gives ids. */
    readonly id: string | undefined,
    /** The HTTP status of the item. */
    readonly status: number,
    /** What Elasticsearch said. */
    readonly answer: ElasticsearchCause | undefined,
    /** The record, as a bounded preview. */
    readonly record: string,
    /** Whether the index had taken documents from this writer before. */
    indexWasThere = false,
  ) {
    // The batching base names the document and record (`entry document 'x' for index 'y' (record {...}) was rejected: ...`).
    super(`Elasticsearch answered ${status}${answer ? ` ${answer.type}: ${answer.reason}` : ''}`, {
      retriable: isBusyItem(status, answer) || (indexWasThere && answer?.type === 'index_not_found_exception'),
    });
  }
}

/** A document is larger than the sink's `maxDocumentBytes`: sent, it would be refused or hold up a whole bulk request. Not retriable. */
export class ElasticsearchDocumentTooLargeError extends OnceflowError {
  override readonly name = 'ElasticsearchDocumentTooLargeError';
  constructor(
    /** The index the document was for. */
    readonly index: string,
    /** The document's id, when the sink gives ids. */
    readonly id: string | undefined,
    /** Its size in bytes, with its action line. */
    readonly bytes: number,
    /** The limit it went past. */
    readonly maxDocumentBytes: number,
    /** The record, as a bounded preview. */
    readonly record: string,
  ) {
    super(
      `the document ${id === undefined ? '' : `'${id}' `}for index '${index}' is ${bytes} bytes, above maxDocumentBytes (${maxDocumentBytes}) (record ${record}): raise maxDocumentBytes (and maxBatchBytes, within the server's http.max_content_length), or make the document smaller`,
      { retriable: false },
    );
  }
}

/** A bulk request failed as a whole (no connection, a timeout, a 4xx or 5xx answer). Retriable for network failures, 429 and 5xx. */
export class ElasticsearchRequestError extends OnceflowError {
  override readonly name = 'ElasticsearchRequestError';
  constructor(
    /** What the request carried, for the message. */
    readonly what: string,
    /** The HTTP status, when there was an answer. */
    readonly status: number | undefined,
    cause: unknown,
  ) {
    super(`Elasticsearch bulk request of ${what} failed${status === undefined ? '' : ` with ${status}`}: ${messageOf(cause)}`, {
      cause,
      retriable: status === undefined || status === 408 || status === 429 || status >= 500,
    });
  }
}

/** The HTTP status of an error of the Elasticsearch client (`ResponseError.meta.statusCode`), when it had an answer. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { meta?: { statusCode?: unknown } } | undefined)?.meta?.statusCode;
  return typeof status === 'number' && status > 0 ? status : undefined;
}
