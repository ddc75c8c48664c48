import type { ConsumerConfig, IHeaders, Kafka } from 'kafkajs';
import { ConfigurationError } from '../../errors.js';
import type { KafkaDeserializer } from './deserializers.js';

/** A record read from Kafka: its value as the deserializer made it, with where it came from and its timestamp. */
export interface KafkaRecord<T> {
  readonly topic: string;
  readonly partition: number;
  /** Its offset (a 64-bit integer, as text). */
  readonly offset: string;
  /** The record's timestamp, in ms since the epoch (create or log-append time, as the topic is configured). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly headers: IHeaders;
  readonly value: T;
}

/** Options of {@link kafkaSource}. */
export interface KafkaSourceOptions<T> {
  /** A kafkajs client (or one with its API); the source makes its own consumer, admin and producer from it. */
  readonly kafka: Kafka;
  /** Topics to read; or {@link topicPattern}. */
  readonly topics?: readonly string[];
  /** Read every topic whose name matches; topics created while the job runs are picked up by discovery. */
  readonly topicPattern?: RegExp;
  /**
   * The consumer group: its committed offsets are where a job without a
   * checkpoint starts, and the source commits each completed checkpoint's
   * offsets to it so lag tools see progress. The checkpoint's offsets, not the
   * group's, are where a restored job resumes.
   */
  readonly groupId: string;
  /** Turns values into records. */
  readonly deserializer: KafkaDeserializer<T>;
  /** Where a partition without a committed offset starts, on a job's first start. Default `'earliest'`. Partitions found later start at their earliest offset. */
  readonly startingOffsets?: 'earliest' | 'latest';
  /** Rejected records go here (value, key and headers as read, plus `onceflow-error`, `onceflow-topic`, `onceflow-partition`, `onceflow-offset`). Default: none, a rejected record fails the job. */
  readonly deadLetterTopic?: string;
  /** Commit the offsets of each completed checkpoint to the group. Default true. */
  readonly commitOffsets?: boolean;
  /** How often to look for new partitions and topics, in ms; 0 turns discovery off. Default 10 000. */
  readonly discoveryInterval?: number;
  /** Read only what the partitions hold when the job first starts, then finish (a batch job). Default false: read forever. */
  readonly bounded?: boolean;
  /** Records fetched and not yet taken by the pipeline before the consumer stops fetching. Default 10 000. */
  readonly maxBufferedRecords?: number;
  /** The consumer's session timeout, in ms: how long a killed process keeps its partitions before a restarted one gets them. Default 10 000 (the broker's minimum is 6 000). */
  readonly sessionTimeout?: number;
  /** Read records of aborted and open transactions too. Default false (read_committed). */
  readonly readUncommitted?: boolean;
}

/** A whole number of at least `min`, or a ConfigurationError naming the option. */
export function wholeOption(owner: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigurationError(`${owner} option ${name} must be a whole number >= ${min}, got ${value}`);
  return value;
}

/**
 * The consumer settings both sources use: heartbeats within the session
 * timeout, no topics created by reading, and no restart of a crashed consumer
 * by kafkajs itself (a crash fails the job, whose restart strategy decides;
 * kafkajs restarting on its own would hide it).
 */
export function consumerConfig(groupId: string, sessionTimeout: number, readUncommitted: boolean): ConsumerConfig {
  return {
    groupId,
    sessionTimeout,
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 5)),
    rebalanceTimeout: Math.max(sessionTimeout, 10_000),
    readUncommitted,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
    retry: { restartOnFailure: async () => false },
  };
}

/** One message of a sink, as the record maps to it. */
export interface KafkaOutgoingMessage {
  /** The topic; default: the sink's `topic` option. */
  readonly topic?: string;
  /** The partition; default: kafkajs's partitioner picks one from the key. */
  readonly partition?: number;
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** The record's timestamp in ms since the epoch, as text; default: when it is sent. */
  readonly timestamp?: string;
}

/** Options both sinks share. */
export interface KafkaSinkCommonOptions<T> {
  /** A kafkajs client (or one with its API); the sink makes its own producer and admin from it. */
  readonly kafka: Kafka;
  /** The topic of records whose message names none. */
  readonly topic?: string;
  /** A record as a message. Default: a string or Buffer is the value, anything else its JSON. */
  readonly toMessage?: (record: T) => KafkaOutgoingMessage;
}

/** The default record-to-message mapping. */
export function defaultMessage(record: unknown): KafkaOutgoingMessage {
  if (typeof record === 'string' || Buffer.isBuffer(record)) return { value: record };
  return { value: JSON.stringify(record) ?? null };
}
