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
// Scale-out: one job per partition, over every process that joins the group.
export { scaledOutKafkaJob, ScaledOutKafkaJob, kafkaRepartition } from './scale-out/kafka.js';
export type { ScaledOutKafkaJobOptions, KafkaPartitionInput, ScaledOutEvent, ScaledOutResult, ScaledOutHandle, KafkaRepartitionOptions, KafkaRepartition } from './scale-out/kafka.js';
export { keyByMessageKey, KafkaRecordKeyError, UnpartitionedKeyError } from './scale-out/partitioning.js';
export type { MessageKeyEncoding } from './scale-out/partitioning.js';
export type { KafkaPartitionSource, KafkaTopicPartition, KafkaGroupMemberOptions } from './connectors/kafka/group-member.js';
