// `onceflow/kafka`: the Kafka connectors, kept out of the main entry point so
// that `import 'onceflow'` works without kafkajs installed (it is an optional peer).
export { kafkaSource } from './connectors/kafka/source.js';
export type { KafkaPartitionSplit, KafkaEnumeratorState } from './connectors/kafka/enumerator.js';
export type { KafkaRecord, KafkaSourceOptions, KafkaOutgoingMessage, KafkaSinkCommonOptions } from './connectors/kafka/options.js';
export { stringDeserializer, jsonDeserializer, bufferDeserializer } from './connectors/kafka/deserializers.js';
export type { KafkaDeserializer, KafkaRecordMetadata } from './connectors/kafka/deserializers.js';
export {
  KafkaDeserializationError,
  KafkaUnknownTopicError,
  KafkaUnknownPartitionError,
  KafkaConnectionError,
  KafkaConsumerCrashedError,
  KafkaTransactionConfigError,
  KafkaStaleCheckpointError,
} from './connectors/kafka/errors.js';
export { kafkaSink } from './connectors/kafka/sink.js';
export type { KafkaSinkOptions } from './connectors/kafka/sink.js';
export { kafkaTransactionalSink } from './connectors/kafka/transactional-sink.js';
export type { KafkaTransactionalSinkOptions, KafkaTransactionCommittable } from './connectors/kafka/transactional-sink.js';
