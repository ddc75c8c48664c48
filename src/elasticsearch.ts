// `onceflow/elasticsearch`: the Elasticsearch sink. It takes the user's client (8.x or 9.x) and
// loads nothing of @elastic/elasticsearch itself; it has its own entry point as every connector does.
export { elasticsearchSink } from './connectors/elasticsearch/sink.js';
export type {
  ElasticsearchSinkOptions,
  ElasticsearchBatchingOptions,
  ElasticsearchBulkClient,
  ElasticsearchBulkItem,
  ElasticsearchBulkResponse,
  ElasticsearchDeadLetter,
  ElasticsearchFailureHandler,
} from './connectors/elasticsearch/sink.js';
export { ElasticsearchDocumentError, ElasticsearchDocumentTooLargeError, ElasticsearchRequestError } from './connectors/elasticsearch/errors.js';
export type { ElasticsearchCause } from './connectors/elasticsearch/errors.js';
