import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { FlushingSink } from '../../contracts/sink.js';
import { BatchingSinkWriter } from '../shared/batching-writer.js';
import type { BatchingWriterOptions, RejectedEntry } from '../shared/batching-writer.js';
import { ConfigurationError } from '../../errors.js';
import { kinesisError } from './errors.js';

/** The PutRecords limits: entries and bytes a request, bytes a record (data and partition key). */
const maxRecordsPerRequest = 500;
const maxBytesPerRequest = 5 * 1024 * 1024;
const maxBytesPerRecord = 1024 * 1024;

/** Options of {@link kinesisSink}. */
export interface KinesisSinkOptions<T> {
  /** The user's client: its endpoint, region, credentials and request handler are used as they are. */
  readonly client: KinesisClient;
  readonly streamName: string;
  /** The record's partition key (1-256 characters): records with the same key go to the same shard, in order. */
  readonly partitionKey: (record: T) => string;
  /** The record's bytes. Default: a string as UTF-8, bytes as they are, anything else as JSON. */
  readonly serialize?: (record: T) => Uint8Array;
  /** A hash key that picks the shard instead of the partition key's hash, when given. */
  readonly explicitHashKey?: (record: T) => string | undefined;
  /**
   * Batching: requests in flight, buffer bounds, time in buffer, retry backoff
   * for entries a response marks failed. Batch size and bytes are capped at
   * the PutRecords limits (500 records, 5 MiB).
   */
  readonly batching?: Pick<BatchingWriterOptions<T, PutRecordsRequestEntry>, 'maxBatchSize' | 'maxInFlightRequests' | 'maxBufferedEntries' | 'maxTimeInBuffer' | 'retry'>;
}

function defaultSerialize(record: unknown): Uint8Array {
  if (typeof record === 'string') return Buffer.from(record);
  if (record instanceof Uint8Array) return record;
  return Buffer.from(JSON.stringify(record) ?? String(record));
}

/**
 * Writes records to a Kinesis data stream with PutRecords, at-least-once,
 * through the batching base: batches within the API's limits (500 records,
 * 5 MiB a request, 1 MiB a record counting its partition key), entries a
 * response marks failed (throttled shards, internal failures) retried with
 * backoff, and on each barrier a wait until Kinesis took every record. A
 * restart puts again what came after the last checkpoint, so a reader may see
 * a record twice. A record over 1 MiB fails the job, naming it.
 */
export function kinesisSink<T>(options: KinesisSinkOptions<T>): FlushingSink<T, 'at-least-once'> {
  const { client, streamName, partitionKey, explicitHashKey } = options;
  if (typeof client?.send !== 'function') throw new ConfigurationError('kinesisSink client must be a KinesisClient from @aws-sdk/client-kinesis');
  if (typeof streamName !== 'string' || streamName.length === 0) throw new ConfigurationError('kinesisSink streamName must be a non-empty string');
  if (typeof partitionKey !== 'function') throw new ConfigurationError('kinesisSink partitionKey must be a function from a record to its partition key');
  const batchSize = options.batching?.maxBatchSize ?? maxRecordsPerRequest;
  if (batchSize > maxRecordsPerRequest) throw new ConfigurationError(`kinesisSink batching.maxBatchSize must be at most ${maxRecordsPerRequest} (the PutRecords limit), got ${batchSize}`);
  const serialize = options.serialize ?? defaultSerialize;
  const toEntry = (record: T): PutRecordsRequestEntry => {
    const key = partitionKey(record);
    if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
      throw new ConfigurationError(`kinesisSink partitionKey must give 1-256 characters, gave ${JSON.stringify(key)} for a record of stream '${streamName}'`);
    }
    const hashKey = explicitHashKey?.(record);
    return { Data: serialize(record), PartitionKey: key, ...(hashKey === undefined ? {} : { ExplicitHashKey: hashKey }) };
  };
  const submit = async (entries: readonly PutRecordsRequestEntry[]): Promise<readonly RejectedEntry[]> => {
    let response;
    try {
      response = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: [...entries] }));
    } catch (error) {
      throw kinesisError(streamName, 'PutRecords', undefined, error);
    }
    if (!response.FailedRecordCount) return [];
    const rejected: RejectedEntry[] = [];
    for (const [index, result] of (response.Records ?? []).entries()) {
      if (result.ErrorCode === undefined) continue;
      const cause = Object.assign(new Error(`${result.ErrorCode}: ${result.ErrorMessage ?? ''}`), { name: result.ErrorCode });
      rejected.push({ index, error: kinesisError(streamName, 'PutRecords', undefined, cause) });
    }
    return rejected;
  };
  return {
    name: `kinesis-${streamName}`,
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    kind: 'flushing',
    createWriter: () =>
      new BatchingSinkWriter<T, PutRecordsRequestEntry>({
        retry: { initialDelay: 100, maxDelay: 5000, maxAttempts: 30 },
        ...options.batching,
        maxBatchSize: batchSize,
        maxBatchBytes: maxBytesPerRequest,
        maxEntryBytes: maxBytesPerRecord,
        toEntry,
        submit,
        // Kinesis counts the partition key into a record's size.
        sizeOf: (entry) => (entry.Data?.length ?? 0) + Buffer.byteLength(entry.PartitionKey ?? ''),
        describe: (entry) => `record with partition key '${String(entry.PartitionKey).slice(0, 64)}' for stream '${streamName}'`,
      }),
  };
}
