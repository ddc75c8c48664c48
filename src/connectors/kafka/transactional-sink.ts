import type { Admin, ConfigResourceTypes, Message, Producer } from 'kafkajs';

// kafkajs's ConfigResourceTypes.BROKER; a type-only import keeps kafkajs (a CommonJS module whose enums ESM cannot name) out of the runtime graph here.
const brokerResource = 4 as ConfigResourceTypes;
import type { CommitRequest, CommittingSink, CommittingSinkWriter } from '../../contracts/sink.js';
import type { Logger } from '../../contracts/logger.js';
import { CommitFailedError, ConfigurationError, isRetriable, messageOf } from '../../errors.js';
import { KafkaConnectionError, KafkaStaleCheckpointError, KafkaTransactionConfigError } from './errors.js';
import type { KafkaSinkCommonOptions } from './options.js';
import { defaultMessage, wholeOption } from './options.js';
import { PartitionCounts } from './partitions.js';
import { byTopic, entryBytes, toEntry } from './sink.js';
import type { KafkaEntry } from './sink.js';

/** Options of {@link kafkaTransactionalSink}. */
export interface KafkaTransactionalSinkOptions<T> extends KafkaSinkCommonOptions<T> {
  /** The topic of records whose message names none; each commit also records its checkpoint id against partition 0 of it. */
  readonly topic: string;
  /** Transactional ids are `<prefix>-<job id>-<sink task id>`: unique per job and sink, so two jobs never fence each other. Default `'onceflow'`. */
  readonly transactionalIdPrefix?: string;
  /** kafkajs's `transactionTimeout`, in ms: how long a commit's transaction may stay open. Default 60 000; at most the broker's `transaction.max.timeout.ms`. */
  readonly transactionTimeout?: number;
  /**
   * The job's checkpoint timeout, in ms, when it is not the default 60 000.
   * A transaction must be able to outlive a checkpoint, so a `transactionTimeout`
   * below it is refused at start.
   */
  readonly checkpointTimeout?: number;
  /** Bytes in one send of a commit at most. Default 900 KiB (the broker refuses a partition's batch above 1 MiB, and kafkajs never splits one). */
  readonly maxBatchBytes?: number;
}

type Bytes = string | { readonly base64: string } | null;

/** A message as a checkpoint stores it: plain data. */
interface StoredMessage {
  readonly topic: string;
  readonly partition?: number;
  readonly key: Bytes;
  readonly value: Bytes;
  readonly headers?: Readonly<Record<string, Bytes>>;
  readonly timestamp?: string;
}

/** What a checkpoint holds for the sink: the records it covers, committed in one transaction once it completes. */
export interface KafkaTransactionCommittable {
  readonly transactionalId: string;
  /** The group whose offset on partition 0 of `markerTopic` is the last checkpoint committed. */
  readonly markerGroup: string;
  readonly markerTopic: string;
  readonly messages: readonly StoredMessage[];
  /**
   * The checkpoint these records belong to, the marker their transaction commits. A checkpoint that
   * was discarded has its committables committed with the next one: marked with that one's id, the
   * first would mark the second as already committed, and its records would be lost. Absent in
   * checkpoints written before it was added, where the commit request's id stands.
   */
  readonly checkpointId?: number;
}

function store(bytes: string | Buffer | null | undefined): Bytes {
  if (bytes === null || bytes === undefined) return null;
  return typeof bytes === 'string' ? bytes : { base64: bytes.toString('base64') };
}

function load(bytes: Bytes): string | Buffer | null {
  if (bytes === null || typeof bytes === 'string') return bytes;
  return Buffer.from(bytes.base64, 'base64');
}

function stored({ topic, partition, message }: KafkaEntry): StoredMessage {
  const headers = message.headers ? Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, store(Array.isArray(value) ? String(value[0]) : value)])) : undefined;
  return {
    topic,
    ...(partition === undefined ? {} : { partition }),
    key: store(message.key),
    value: store(message.value),
    ...(headers ? { headers } : {}),
    ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
  };
}

function loaded(message: StoredMessage): KafkaEntry {
  const headers = message.headers ? Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, load(value) ?? ''])) : undefined;
  const kafkaMessage: Message = {
    key: load(message.key),
    value: load(message.value),
    ...(message.partition === undefined ? {} : { partition: message.partition }),
    ...(headers ? { headers } : {}),
    ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
  };
  return { topic: message.topic, partition: message.partition, message: kafkaMessage };
}

/** Entries in sends of at most `maxBytes`. */
function chunks(entries: readonly KafkaEntry[], maxBytes: number): KafkaEntry[][] {
  const result: KafkaEntry[][] = [];
  let current: KafkaEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (current.length > 0 && bytes + size > maxBytes) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

async function lastCommitted(admin: Admin, groupId: string, topic: string): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  const offset = offsets[0]?.partitions.find((p) => p.partition === 0)?.offset ?? '-1';
  return Math.max(0, Number(offset));
}

/**
 * A transactional, exactly-once Kafka sink: one transaction per checkpoint,
 * committed once the checkpoint is durable. kafkajs cannot resume a prepared
 * transaction's producer id and epoch after a crash (a new producer's
 * `initTransactions` aborts it), so the sink writes ahead instead: at the
 * barrier the checkpoint's records become its committable, stored with the
 * checkpoint; on completion the committer sends them in a transaction that
 * also commits the checkpoint id as the offset of a marker group. A restored
 * job hands the stored committable over again, and the committer either finds
 * the marker at that id (committed already) or commits it now: a crash after
 * the checkpoint is stored and before its commit loses nothing, and commits
 * nothing twice. Records become visible to `read_committed` consumers when
 * their checkpoint completes.
 */
export function kafkaTransactionalSink<T>(
  options: KafkaTransactionalSinkOptions<T>,
): CommittingSink<T, 'exactly-once', 'exactly-once', false, KafkaTransactionCommittable, undefined> {
  const owner = 'kafkaTransactionalSink';
  if (!options.topic) throw new ConfigurationError(`${owner} option topic must name a topic`);
  const transactionTimeout = wholeOption(owner, 'transactionTimeout', options.transactionTimeout ?? 60_000, 1000);
  const checkpointTimeout = wholeOption(owner, 'checkpointTimeout', options.checkpointTimeout ?? 60_000, 1);
  if (transactionTimeout < checkpointTimeout) {
    throw new KafkaTransactionConfigError(
      `${owner}: transactionTimeout (${transactionTimeout} ms) is shorter than the checkpoint timeout (${checkpointTimeout} ms): raise transactionTimeout (up to the broker's transaction.max.timeout.ms, 15 min by default) or lower the job's checkpoints.timeout and this sink's checkpointTimeout`,
    );
  }
  const maxBatchBytes = wholeOption(owner, 'maxBatchBytes', options.maxBatchBytes ?? 900 * 1024, 1);
  const toMessage = options.toMessage ?? defaultMessage;
  const prefix = options.transactionalIdPrefix ?? 'onceflow';

  // Shared by the writer (which fences earlier producers at start) and the committer of one process.
  const producers = new Map<string, Promise<Producer>>();
  let adminClient: Promise<Admin> | undefined;
  const admin = (): Promise<Admin> =>
    (adminClient ??= (async () => {
      const client = options.kafka.admin();
      try {
        await client.connect();
      } catch (error) {
        adminClient = undefined;
        throw new KafkaConnectionError(`${owner} could not connect to the Kafka brokers`, error);
      }
      return client;
    })());
  const producerFor = (transactionalId: string): Promise<Producer> => {
    let producer = producers.get(transactionalId);
    if (!producer) {
      producer = (async () => {
        const client = options.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout, allowAutoTopicCreation: false });
        try {
          await client.connect();
          // Starting a transaction initialises the producer id: the broker fences earlier producers of this id and aborts a transaction they left open.
          const transaction = await client.transaction();
          await transaction.abort();
        } catch (error) {
          await client.disconnect().catch(() => {});
          if ((error as { type?: string }).type === 'INVALID_TRANSACTION_TIMEOUT') {
            throw new KafkaTransactionConfigError(
              `${owner}: the broker refused transactionTimeout ${transactionTimeout} ms for transactional id '${transactionalId}': it is above the broker's transaction.max.timeout.ms; lower transactionTimeout or raise transaction.max.timeout.ms`,
              error,
            );
          }
          throw new KafkaConnectionError(`${owner} could not initialise the transactional producer '${transactionalId}'`, error);
        }
        return client;
      })();
      producers.set(transactionalId, producer);
      producer.catch(() => producers.delete(transactionalId));
    }
    return producer;
  };
  const dropProducer = async (transactionalId: string): Promise<void> => {
    const producer = producers.get(transactionalId);
    producers.delete(transactionalId);
    await (await producer?.catch(() => undefined))?.disconnect().catch(() => {});
  };

  async function checkBrokerLimit(client: Admin, logger: Logger | undefined): Promise<void> {
    try {
      const cluster = await client.describeCluster();
      const broker = cluster.brokers[0];
      if (!broker) return;
      const described = await client.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: brokerResource, name: String(broker.nodeId), configNames: ['transaction.max.timeout.ms'] }],
      });
      const value = described.resources[0]?.configEntries.find((e) => e.configName === 'transaction.max.timeout.ms')?.configValue;
      if (value !== undefined && Number(value) < transactionTimeout) {
        throw new KafkaTransactionConfigError(
          `${owner}: transactionTimeout (${transactionTimeout} ms) is above the broker's transaction.max.timeout.ms (${value} ms): lower transactionTimeout (and the job's checkpoint timeout with it) or raise transaction.max.timeout.ms`,
        );
      }
    } catch (error) {
      if (error instanceof KafkaTransactionConfigError) throw error;
      // Reading broker configs may be forbidden by ACLs: the producer's initialisation still refuses a timeout above the limit.
      logger?.debug(`${owner}: could not read the broker's transaction.max.timeout.ms: ${messageOf(error)}`);
    }
  }

  return {
    name: 'kafka-transactional',
    guarantee: 'exactly-once',
    requires: 'exactly-once',
    deterministicOnly: false,
    kind: 'committing',
    async createWriter(context): Promise<CommittingSinkWriter<T, KafkaTransactionCommittable, undefined>> {
      const transactionalId = `${prefix}-${context.jobId}-${context.taskId}`;
      const markerGroup = `${transactionalId}-committed`;
      const client = await admin();
      await checkBrokerLimit(client, context.logger);
      await producerFor(transactionalId);
      const committed = await lastCommitted(client, markerGroup, options.topic);
      if (committed > context.restoredCheckpointId) {
        throw new KafkaStaleCheckpointError(
          `${owner}: topic '${options.topic}' already holds checkpoint ${committed} of job '${context.jobId}' (consumer group '${markerGroup}'), but the job restores ${context.restoredCheckpointId === 0 ? 'no checkpoint' : `checkpoint ${context.restoredCheckpointId}`}: committing again would write records twice. Restore from the snapshot store that holds checkpoint ${committed}, or give the job a new id (or delete the group)`,
        );
      }
      const counts = new PartitionCounts(admin);
      let pending: StoredMessage[] = [];
      return {
        write(record: T) {
          const entry = toEntry(toMessage(record), options.topic, owner);
          if (counts.known(entry.topic, entry.partition)) pending.push(stored(entry));
          else return counts.check(entry.topic, entry.partition).then(() => void pending.push(stored(entry)));
        },
        prepareCommit(checkpointId: number) {
          if (pending.length === 0) return [];
          const messages = pending;
          pending = [];
          return [{ transactionalId, markerGroup, markerTopic: options.topic, messages, checkpointId }];
        },
        close() {
          pending = [];
        },
      };
    },
    createCommitter() {
      return {
        async commit(requests: readonly CommitRequest<KafkaTransactionCommittable>[]) {
          for (const request of requests) await commitOne(request);
        },
        async close() {
          for (const id of [...producers.keys()]) await dropProducer(id);
          const client = await adminClient?.catch(() => undefined);
          adminClient = undefined;
          await client?.disconnect().catch(() => {});
        },
      };
    },
  };

  async function commitOne(request: CommitRequest<KafkaTransactionCommittable>): Promise<void> {
    const { committable } = request;
    const checkpointId = committable.checkpointId ?? request.checkpointId;
    let producer: Producer;
    try {
      producer = await producerFor(committable.transactionalId);
      if ((await lastCommitted(await admin(), committable.markerGroup, committable.markerTopic)) >= checkpointId) {
        request.signalAlreadyCommitted();
        return;
      }
    } catch (error) {
      retryOrFail(request, error);
      return;
    }
    const transaction = await producer.transaction();
    try {
      for (const chunk of chunks(committable.messages.map(loaded), maxBatchBytes)) await transaction.sendBatch({ topicMessages: byTopic(chunk), acks: -1 });
      await transaction.sendOffsets({
        consumerGroupId: committable.markerGroup,
        topics: [{ topic: committable.markerTopic, partitions: [{ partition: 0, offset: String(checkpointId) }] }],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => dropProducer(committable.transactionalId));
      retryOrFail(request, error);
    }
  }

  function retryOrFail(request: CommitRequest<KafkaTransactionCommittable>, error: unknown): void {
    if (isRetriable(error) && request.retries < 5) request.retryLater();
    else {
      request.signalFailedWithUnknownReason(
        new CommitFailedError(`${owner}: committing checkpoint ${request.committable.checkpointId ?? request.checkpointId} to topic '${request.committable.markerTopic}' failed: ${messageOf(error)}`, request.checkpointId, {
          cause: error,
          retriable: isRetriable(error),
        }),
      );
    }
  }
}
