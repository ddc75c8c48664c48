import type { IHeaders } from 'kafkajs';

/** What a deserializer is told about the record besides its value. */
export interface KafkaRecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly headers: IHeaders;
}

/**
 * Turns a Kafka record's value into the pipeline's record. Throw to reject
 * it: the source sends it to its dead-letter topic, or fails the job naming
 * the record, as configured; it never drops it.
 */
export interface KafkaDeserializer<T> {
  /** Short name, for messages. */
  readonly name: string;
  /** Deserialize one value; `null` is a tombstone (a record without a value). */
  deserialize(value: Buffer | null, metadata: KafkaRecordMetadata): T;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Values as UTF-8 text. Bytes that are not valid UTF-8, and tombstones, are rejected. */
export function stringDeserializer(): KafkaDeserializer<string> {
  return {
    name: 'string',
    deserialize(value) {
      if (value === null) throw new Error('the record has no value (a tombstone)');
      return strictUtf8.decode(value);
    },
  };
}

/** Values as JSON; text that is not valid JSON, and tombstones, are rejected. `validate` may reject more (a schema check) by throwing. */
export function jsonDeserializer<T = unknown>(validate?: (value: unknown) => T): KafkaDeserializer<T> {
  return {
    name: 'json',
    deserialize(value) {
      if (value === null) throw new Error('the record has no value (a tombstone)');
      const parsed: unknown = JSON.parse(strictUtf8.decode(value));
      return validate ? validate(parsed) : (parsed as T);
    },
  };
}

/** Values as they are: the bytes, or `null` for a tombstone. Never rejects. */
export function bufferDeserializer(): KafkaDeserializer<Buffer | null> {
  return { name: 'buffer', deserialize: (value) => value };
}
