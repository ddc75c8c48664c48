import type { Admin, CompressionTypes, Message, Producer, TopicMessages } from 'kafkajs';
import type { FlushingSink } from '../../contracts/sink.js';
import { ConfigurationError } from '../../errors.js';
import { BatchingSinkWriter } from '../shared/batching-writer.js';
import type { RejectedEntry } from '../shared/batching-writer.js';
import { KafkaConnectionError } from './errors.js';
import type { KafkaOutgoingMessage, KafkaSinkCommonOptions } from './options.js';
import { defaultMessage, wholeOption } from './options.js';
import { PartitionCounts } from './partitions.js';

/** Options of {@link kafkaSink}. */
export interface KafkaSinkOptions<T> extends KafkaSinkCommonOptions<T> {
  /** Acknowledgements a send waits for: -1 (all in-sync replicas, the default), 1 (the leader) or 0 (none: at-most-once). */
  readonly acks?: -1 | 1 | 0;
  /** kafkajs compression codec. Default none. */
  readonly compression?: CompressionTypes;
  /** Bytes in one send at most. Default 900 KiB: kafkajs sends one call's messages for a partition as one batch, and the broker refuses batches above 1 MiB. */
  readonly maxBatchBytes?: number;
  /** Messages in one send at most. Default 1000. */
  readonly maxBatchSize?: number;
  /** Sends in flight at once. Default 4. */
  readonly maxInFlightRequests?: number;
  /** A partly filled batch is sent this many ms after its first record. Default 50. */
  readonly lingerMs?: number;
}

/** One message with its topic, as the batching writer holds it. */
export interface KafkaEntry {
  readonly topic: string;
  readonly partition: number | undefined;
  readonly message: Message;
}

/** The message of a record, with the sink's default topic; a ConfigurationError when neither names a topic. */
export function toEntry(message: KafkaOutgoingMessage, defaultTopic: string | undefined, owner: string): KafkaEntry {
  const topic = message.topic ?? defaultTopic;
  if (topic === undefined) throw new ConfigurationError(`${owner}: a record's message names no topic and the sink has no topic option`);
  const { partition } = message;
  return {
    topic,
    partition,
    message: {
      key: message.key ?? null,
      value: message.value,
      ...(partition === undefined ? {} : { partition }),
      ...(message.headers ? { headers: { ...message.headers } } : {}),
      ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
    },
  };
}

/** An entry's size in bytes, about what it takes on the wire. */
export function entryBytes(entry: KafkaEntry): number {
  let size = 70 + (entry.message.value?.length ?? 0) + (entry.message.key?.length ?? 0);
  for (const [name, value] of Object.entries(entry.message.headers ?? {})) size += name.length + (value?.length ?? 0);
  return size;
}

/** Messages by topic, in order, as kafkajs's `sendBatch` takes them. */
export function byTopic(entries: readonly KafkaEntry[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, message } of entries) {
    let messages = topics.get(topic);
    if (!messages) topics.set(topic, (messages = []));
    messages.push(message);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * An at-least-once Kafka sink on the batching writer: on each barrier it
 * waits until every send is acknowledged (`acks: -1` by default), so a
 * checkpoint never covers a record Kafka does not hold; a restart writes again
 * what came after it. Topic, partition, key and headers come from the
 * record's message; a partition the topic lacks fails the sink naming it.
 */
export function kafkaSink<T>(options: KafkaSinkOptions<T>): FlushingSink<T, 'at-least-once'> {
  const owner = 'kafkaSink';
  const maxBatchBytes = wholeOption(owner, 'maxBatchBytes', options.maxBatchBytes ?? 900 * 1024, 1);
  if (options.acks !== undefined && ![-1, 0, 1].includes(options.acks)) throw new ConfigurationError(`${owner} option acks must be -1, 0 or 1, got ${String(options.acks)}`);
  const toMessage = options.toMessage ?? defaultMessage;
  return {
    name: 'kafka',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    async createWriter() {
      const producer: Producer = options.kafka.producer({ allowAutoTopicCreation: false });
      let admin: Promise<Admin> | undefined;
      const counts = new PartitionCounts(() =>
        (admin ??= (async () => {
          const client = options.kafka.admin();
          await client.connect();
          return client;
        })()),
      );
      try {
        await producer.connect();
      } catch (error) {
        throw new KafkaConnectionError('kafkaSink could not connect to the Kafka brokers', error);
      }
      const batching = new BatchingSinkWriter<T, KafkaEntry>({
        toEntry: (record) => toEntry(toMessage(record), options.topic, owner),
        sizeOf: entryBytes,
        describe: (entry) => `${entry.topic}${entry.partition === undefined ? '' : `-${entry.partition}`} key ${entry.message.key?.toString() ?? 'null'}`,
        maxBatchBytes,
        maxEntryBytes: maxBatchBytes,
        maxBatchSize: options.maxBatchSize ?? 1000,
        maxInFlightRequests: options.maxInFlightRequests ?? 4,
        maxTimeInBuffer: options.lingerMs ?? 50,
        async submit(entries) {
          const rejected: RejectedEntry[] = [];
          const valid: KafkaEntry[] = [];
          for (const [index, entry] of entries.entries()) {
            try {
              await counts.check(entry.topic, entry.partition);
              valid.push(entry);
            } catch (error) {
              rejected.push({ index, error });
            }
          }
          if (valid.length > 0) {
            try {
              await producer.sendBatch({ topicMessages: byTopic(valid), acks: options.acks ?? -1, ...(options.compression === undefined ? {} : { compression: options.compression }) });
            } catch (error) {
              entries.forEach((entry, index) => valid.includes(entry) && rejected.push({ index, error }));
            }
          }
          return rejected;
        },
      });
      return {
        write: (record: T) => batching.write(record),
        flush: () => batching.flush(),
        async close() {
          await batching.close();
          await producer.disconnect().catch(() => {});
          await (await admin?.catch(() => undefined))?.disconnect().catch(() => {});
        },
      };
    },
  };
}
