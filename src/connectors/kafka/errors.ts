import { messageOf, OnceflowError } from '../../errors.js';

/** A record the source's deserializer rejected, with no dead-letter topic configured: the job fails naming it. */
export class KafkaDeserializationError extends OnceflowError {
  override readonly name = 'KafkaDeserializationError';
  constructor(
    /** The topic of the record. */
    readonly topic: string,
    /** Its partition. */
    readonly partition: number,
    /** Its offset. */
    readonly offset: string,
    /** The deserializer that rejected it. */
    readonly deserializer: string,
    cause: unknown,
  ) {
    super(
      `the ${deserializer} deserializer rejected the record at offset ${offset} of ${topic}-${partition}: ${messageOf(cause)} (set the source's deadLetterTopic option to send such records there instead of failing)`,
      { cause, retriable: false },
    );
  }
}

/** A topic the connector was told to read or write does not exist on the cluster. */
export class KafkaUnknownTopicError extends OnceflowError {
  override readonly name = 'KafkaUnknownTopicError';
  constructor(
    /** The topic. */
    readonly topic: string,
    what: string,
    cause?: unknown,
  ) {
    super(`topic '${topic}' ${what} does not exist on the Kafka cluster: create it first (onceflow never creates topics)`, { cause, retriable: false });
  }
}

/**
 * A record addressed to a partition its topic does not have. kafkajs would
 * take it and drop it silently (its `send` succeeds, in a transaction too), so
 * the sink refuses it instead.
 */
export class KafkaUnknownPartitionError extends OnceflowError {
  override readonly name = 'KafkaUnknownPartitionError';
  constructor(
    /** The topic. */
    readonly topic: string,
    /** The partition the record asked for. */
    readonly partition: number,
    /** How many partitions the topic has. */
    readonly partitions: number,
  ) {
    super(`a record is addressed to partition ${partition} of topic '${topic}', which has ${partitions} partition(s) (0 to ${partitions - 1})`, { retriable: false });
  }
}

/** The brokers could not be reached, or the cluster failed a request past kafkajs's own retries. */
export class KafkaConnectionError extends OnceflowError {
  override readonly name = 'KafkaConnectionError';
  constructor(what: string, cause: unknown) {
    super(`${what}: ${messageOf(cause)}`, { cause, retriable: true });
  }
}

/**
 * The kafkajs consumer crashed. kafkajs reports that through its CRASH event
 * only (`consumer.run()` has resolved long before), so the source listens for
 * it and fails the job rather than waiting for records that never come.
 */
export class KafkaConsumerCrashedError extends OnceflowError {
  override readonly name = 'KafkaConsumerCrashedError';
  constructor(
    /** The consumer group. */
    readonly groupId: string,
    cause: unknown,
  ) {
    super(`the Kafka consumer of group '${groupId}' crashed: ${messageOf(cause)}`, { cause, retriable: true });
  }
}

/** A transactional sink's settings the cluster or the job cannot work with: the message names the settings to change. */
export class KafkaTransactionConfigError extends OnceflowError {
  override readonly name = 'KafkaTransactionConfigError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause, retriable: false });
  }
}

/**
 * The output already holds a later checkpoint of this job and sink than the
 * snapshot store restores: committing again from an older checkpoint would
 * write its records twice, so the sink refuses to start.
 */
export class KafkaStaleCheckpointError extends OnceflowError {
  override readonly name = 'KafkaStaleCheckpointError';
  constructor(message: string) {
    super(message, { retriable: false });
  }
}
