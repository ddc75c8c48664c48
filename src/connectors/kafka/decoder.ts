import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../contracts/logger.js';
import { messageOf } from '../../errors.js';
import type { KafkaPartitionSplit } from './enumerator.js';
import { KafkaConnectionError, KafkaDeserializationError } from './errors.js';
import type { KafkaRecord, KafkaSourceOptions } from './options.js';

/** What {@link KafkaRecordDecoder.decode} returns for a record the deserializer rejected and the dead-letter topic took. */
export const rejected: unique symbol = Symbol('rejected');

/**
 * Turns fetched messages into records with the source's deserializer; a
 * message it rejects goes to the dead-letter topic or fails the source
 * (through `fail`), never silently dropped. Shared by the readers of
 * `kafkaSource` and of a scaled-out job's partitions.
 */
export class KafkaRecordDecoder<T> {
  private deadLetters: Promise<Producer> | undefined;

  constructor(
    private readonly options: Pick<KafkaSourceOptions<T>, 'kafka' | 'deserializer' | 'deadLetterTopic'>,
    private readonly fail: (error: Error) => void,
    private readonly logger: Logger | undefined,
  ) {}

  async decode(split: KafkaPartitionSplit, message: KafkaMessage): Promise<KafkaRecord<T> | typeof rejected> {
    const { deserializer } = this.options;
    const headers: IHeaders = message.headers ?? {};
    try {
      const value = deserializer.deserialize(message.value, { topic: split.topic, partition: split.partition, offset: message.offset, key: message.key ?? null, headers });
      return { topic: split.topic, partition: split.partition, offset: message.offset, timestamp: Number(message.timestamp), key: message.key ?? null, headers, value };
    } catch (cause) {
      const error = new KafkaDeserializationError(split.topic, split.partition, message.offset, deserializer.name, cause);
      if (this.options.deadLetterTopic === undefined) {
        this.fail(error);
        throw error;
      }
      await this.sendToDeadLetterTopic(this.options.deadLetterTopic, split, message, error);
      return rejected;
    }
  }

  async close(): Promise<void> {
    const producer = await this.deadLetters?.catch(() => undefined);
    this.deadLetters = undefined;
    await producer?.disconnect().catch(() => {});
  }

  private async sendToDeadLetterTopic(topic: string, split: KafkaPartitionSplit, message: KafkaMessage, error: KafkaDeserializationError): Promise<void> {
    this.deadLetters ??= (async () => {
      const producer = this.options.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })();
    try {
      const producer = await this.deadLetters;
      await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key: message.key ?? null,
            value: message.value,
            headers: {
              ...(message.headers ?? {}),
              'onceflow-error': messageOf(error.cause),
              'onceflow-topic': split.topic,
              'onceflow-partition': String(split.partition),
              'onceflow-offset': message.offset,
            },
          },
        ],
      });
      this.logger?.warn(`kafka source: ${error.message.replace(/ \(set the source's.*$/, '')}; sent to dead-letter topic '${topic}'`);
    } catch (cause) {
      const failure = new KafkaConnectionError(`could not send the rejected record at offset ${message.offset} of ${split.splitId} to dead-letter topic '${topic}'`, cause);
      this.fail(failure);
      throw failure;
    }
  }
}
