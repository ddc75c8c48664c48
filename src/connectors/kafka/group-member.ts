import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { FetchResult, RecordBatch, Source, SplitAssignment, SplitEnumerator, SplitEnumeratorInit, SplitReader, SplitReaderInit } from '../../contracts/source.js';
import type { Logger } from '../../contracts/logger.js';
import { ConfigurationError, messageOf } from '../../errors.js';
import { KafkaRecordDecoder, rejected } from './decoder.js';
import { committedOffsets, splitIdOf } from './enumerator.js';
import type { KafkaEnumeratorState, KafkaPartitionSplit } from './enumerator.js';
import { KafkaConnectionError, KafkaConsumerCrashedError, KafkaUnknownTopicError } from './errors.js';
import type { KafkaRecord, KafkaSourceOptions } from './options.js';
import { consumerConfig, wholeOption } from './options.js';

/** Options of a {@link KafkaGroupMember}: those of `kafkaSource` that make sense for one partition at a time. */
export type KafkaGroupMemberOptions<T> = Pick<
  KafkaSourceOptions<T>,
  'kafka' | 'groupId' | 'deserializer' | 'startingOffsets' | 'deadLetterTopic' | 'commitOffsets' | 'maxBufferedRecords' | 'sessionTimeout' | 'readUncommitted'
> & {
  /** The topics whose partitions the group shares out. */
  readonly topics: readonly string[];
};

/** A partition of a topic. */
export interface KafkaTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The source of one partition of a {@link KafkaGroupMember}: a single split, so it replays the same records in the same order. */
export type KafkaPartitionSource<T> = Source<KafkaRecord<T>, 'exactly-once', 'deterministic', KafkaPartitionSplit, string, KafkaEnumeratorState>;

/** What the member tells whoever runs the partitions' jobs. */
export interface KafkaGroupMemberListener {
  /** The group (re)assigned this member's partitions: these are all it owns now. */
  assigned(partitions: readonly KafkaTopicPartition[]): void;
  /** The consumer crashed: the member reads nothing more. */
  failed(error: Error): void;
}

/**
 * One process's membership in a consumer group whose partitions are read by
 * separate jobs, one per partition (a scaled-out job): ONE kafkajs consumer
 * joins the group, so the group and its lag are what Kafka tools show, and it
 * hands each partition's records to the reader of that partition's source.
 * Which partitions the member owns is the group's decision, reported to the
 * listener on every rebalance; a partition is fetched only while its reader
 * is attached and wants records, and each time fetching (re)starts it seeks
 * to the reader's position, so records dropped while it was paused or
 * unowned are read again, never skipped.
 */
export class KafkaGroupMember<T> {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private readonly readers = new Map<string, PartitionReader<T>>();
  // Partitions the group gave this member, by split id, and those it is fetching now.
  private assignment = new Map<string, KafkaTopicPartition>();
  private readonly fetching = new Set<string>();
  private failure: Error | undefined;
  private closed = false;
  private readonly sessionTimeout: number;
  readonly maxBuffered: number;

  constructor(
    readonly options: KafkaGroupMemberOptions<T>,
    private readonly listener: KafkaGroupMemberListener,
    readonly logger?: Logger,
  ) {
    const owner = 'a scaled-out Kafka job';
    if (options.topics.length === 0) throw new ConfigurationError(`${owner}: option topics must name at least one topic`);
    if (!options.groupId) throw new ConfigurationError(`${owner}: option groupId must be a non-empty string`);
    if (options.startingOffsets !== undefined && options.startingOffsets !== 'earliest' && options.startingOffsets !== 'latest') {
      throw new ConfigurationError(`${owner}: option startingOffsets must be 'earliest' or 'latest', got ${String(options.startingOffsets)}`);
    }
    if (options.deadLetterTopic !== undefined && (options.deadLetterTopic === '' || options.topics.includes(options.deadLetterTopic))) {
      throw new ConfigurationError(`${owner}: option deadLetterTopic must name a topic other than those it reads, got '${options.deadLetterTopic}'`);
    }
    this.maxBuffered = wholeOption(owner, 'maxBufferedRecords', options.maxBufferedRecords ?? 10_000, 1);
    this.sessionTimeout = wholeOption(owner, 'sessionTimeout', options.sessionTimeout ?? 10_000, 1);
  }

  /** Join the group. Resolves once the consumer runs; partitions arrive through the listener. */
  async start(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const admin = kafka.admin();
    this.admin = admin;
    try {
      await admin.connect();
      // Checked through the topic list: subscribing to a missing topic creates it on brokers with auto.create.topics.enable.
      const existing = new Set(await admin.listTopics());
      const missing = topics.find((topic) => !existing.has(topic));
      if (missing !== undefined) throw new KafkaUnknownTopicError(missing, 'that the scaled-out job reads');
    } catch (error) {
      if (error instanceof KafkaUnknownTopicError) throw error;
      throw new KafkaConnectionError(`could not connect to the Kafka brokers to check topic(s) ${topics.join(', ')}`, error);
    }
    if (this.closed) return;
    const consumer = kafka.consumer(consumerConfig(groupId, this.sessionTimeout, this.options.readUncommitted ?? false));
    consumer.on(consumer.events.CRASH, (event) => {
      if (!this.closed) this.fail(new KafkaConsumerCrashedError(groupId, event.payload.error));
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onJoin(event.payload.memberAssignment));
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (payload) => this.onBatch(consumer, payload) });
    } catch (error) {
      throw new KafkaConnectionError(`could not start the Kafka consumer of group '${groupId}' for ${topics.join(', ')}`, error);
    }
  }

  /** A new source for `partition` of `topic`, to build one partition's job with. */
  partitionSource(topic: string, partition: number): KafkaPartitionSource<T> {
    const split: Omit<KafkaPartitionSplit, 'startingOffset'> = { splitId: splitIdOf(topic, partition), topic, partition };
    return {
      name: 'kafka-partition',
      guarantee: 'exactly-once',
      replay: 'deterministic',
      createEnumerator: (init) => new PartitionEnumerator(init, split, this),
      createReader: (init) => new PartitionReader(this, init),
    };
  }

  /** Leave the group and close the clients. */
  async close(): Promise<void> {
    this.closed = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch((error: unknown) => this.logger?.warn(`kafka group member: disconnecting the consumer of group '${this.options.groupId}' failed: ${messageOf(error)}`));
    await this.admin?.disconnect().catch(() => {});
    this.admin = undefined;
  }

  /** Where a partition without a checkpoint starts: the group's committed offset, else the `startingOffsets` end. */
  async startingOffset(topic: string, partition: number): Promise<string> {
    const admin = this.admin;
    if (!admin) throw new KafkaConnectionError(`the scaled-out job's group member of '${this.options.groupId}' is not connected`, new Error('closed'));
    try {
      const committed = (await committedOffsets(admin, this.options.groupId, topic)).get(partition);
      if (committed !== undefined) return committed;
      const end = (await admin.fetchTopicOffsets(topic)).find((e) => e.partition === partition);
      return (this.options.startingOffsets === 'latest' ? end?.high : end?.low) ?? '0';
    } catch (error) {
      throw new KafkaConnectionError(`could not read where ${splitIdOf(topic, partition)} starts for group '${this.options.groupId}'`, error);
    }
  }

  /** @internal A reader of a partition's source took its split (at start or after a restart). */
  attach(reader: PartitionReader<T>): void {
    if (this.failure) reader.fail(this.failure);
    const id = reader.splitId;
    this.readers.set(id, reader);
    this.fetching.delete(id);
    this.update(id);
  }

  /** @internal A reader is closing: its partition is held until another reader takes it. */
  detach(reader: PartitionReader<T>): void {
    const id = reader.splitId;
    if (this.readers.get(id) !== reader) return;
    this.readers.delete(id);
    this.update(id);
  }

  /** Fetch the partition if its reader wants records, from the reader's position; else pause it. */
  update(id: string): void {
    const consumer = this.consumer;
    const owned = this.assignment.get(id);
    if (!consumer || !owned || this.closed) return;
    const reader = this.readers.get(id);
    const target = [{ topic: owned.topic, partitions: [owned.partition] }];
    if (reader?.wantsRecords()) {
      if (this.fetching.has(id)) return;
      this.fetching.add(id);
      consumer.seek({ topic: owned.topic, partition: owned.partition, offset: reader.position() });
      consumer.resume(target);
    } else {
      this.fetching.delete(id);
      consumer.pause(target);
    }
  }

  /** @internal Commit a completed checkpoint's offset to the group, for lag tools only. */
  async commit(topic: string, partition: number, offset: string, checkpointId: number): Promise<void> {
    const consumer = this.consumer;
    if (this.options.commitOffsets === false || !consumer || !this.assignment.has(splitIdOf(topic, partition))) return;
    // A restore reads the checkpoint, not the group: a failed commit (a rebalance under way) is not worth failing the partition's job.
    await consumer.commitOffsets([{ topic, partition, offset }]).catch((error: unknown) => {
      this.logger?.warn(`kafka group member: committing offset ${offset} of ${splitIdOf(topic, partition)} (checkpoint ${checkpointId}) to group '${this.options.groupId}' failed: ${messageOf(error)}`);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const reader of this.readers.values()) reader.fail(error);
    this.listener.failed(error);
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const assignment = new Map<string, KafkaTopicPartition>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) for (const partition of partitions) assignment.set(splitIdOf(topic, partition), { topic, partition });
    this.assignment = assignment;
    // A rejoined consumer fetches from the group's committed offsets: every owned partition is placed again.
    this.fetching.clear();
    for (const id of assignment.keys()) this.update(id);
    this.listener.assigned([...assignment.values()]);
  }

  private async onBatch(consumer: Consumer, { batch, isStale }: EachBatchPayload): Promise<void> {
    if (consumer !== this.consumer || this.closed || isStale()) return;
    const id = splitIdOf(batch.topic, batch.partition);
    const reader = this.readers.get(id);
    if (!reader || !this.fetching.has(id) || !reader.wantsRecords()) {
      this.update(id);
      return;
    }
    await reader.take(batch.messages, batch.lastOffset());
    if (!reader.wantsRecords()) this.update(id);
  }
}

/** Assigns the one partition, at the group's committed offset (or `startingOffsets`) unless a checkpoint holds it already. */
class PartitionEnumerator<T> implements SplitEnumerator<KafkaPartitionSplit, KafkaEnumeratorState> {
  private assigned: boolean;

  constructor(
    private readonly init: SplitEnumeratorInit<KafkaPartitionSplit, KafkaEnumeratorState>,
    private readonly split: Omit<KafkaPartitionSplit, 'startingOffset'>,
    private readonly member: KafkaGroupMember<T>,
  ) {
    this.assigned = init.restoredState?.assigned.includes(split.splitId) ?? false;
  }

  async start(): Promise<void> {
    if (this.assigned) return;
    const startingOffset = await this.member.startingOffset(this.split.topic, this.split.partition);
    this.assigned = true;
    this.init.context.assignSplits([{ ...this.split, startingOffset }]);
  }

  snapshotState(): KafkaEnumeratorState {
    return { assigned: this.assigned ? [this.split.splitId] : [] };
  }

  close(): void {}
}

type Batch<T> = RecordBatch<KafkaRecord<T>, string>;

/** @internal Reads one partition from what the group member hands it. */
export class PartitionReader<T> implements SplitReader<KafkaRecord<T>, KafkaPartitionSplit, string> {
  private split: KafkaPartitionSplit | undefined;
  /** The offset of the next record to hand to the pipeline: where fetching (re)starts. */
  private next = 0n;
  private queue: Batch<T>[] = [];
  private queued = 0;
  private paused = false;
  private closed = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly decoder: KafkaRecordDecoder<T>;

  constructor(
    private readonly member: KafkaGroupMember<T>,
    init: SplitReaderInit,
  ) {
    this.decoder = new KafkaRecordDecoder(member.options, (error) => this.fail(error), init.logger ?? member.logger);
  }

  get splitId(): string {
    return this.split?.splitId ?? '';
  }

  addSplits(assignments: readonly SplitAssignment<KafkaPartitionSplit, string>[]): void {
    const [assignment] = assignments;
    if (!assignment) return;
    this.split = assignment.split;
    this.next = BigInt(assignment.position ?? assignment.split.startingOffset);
    this.member.attach(this);
    this.wakeUp();
  }

  async fetch(): Promise<FetchResult<KafkaRecord<T>, string>> {
    if (this.failure) throw this.failure;
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.failure || this.closed || this.queue.length > 0) resolve();
      });
      this.wake = undefined;
    }
    if (this.failure) throw this.failure;
    const batches = this.queue;
    const wasFull = !this.wantsRecords();
    this.queue = [];
    this.queued = 0;
    if (wasFull && this.split) this.member.update(this.split.splitId);
    return { batches, finished: [] };
  }

  wakeUp(): void {
    this.wake?.();
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    const id = this.split?.splitId;
    if (id === undefined) return;
    if (pause.includes(id)) this.paused = true;
    if (resume.includes(id)) this.paused = false;
    this.member.update(id);
  }

  async checkpointComplete(checkpointId: number, positions: ReadonlyMap<string, string>): Promise<void> {
    const split = this.split;
    const offset = split && positions.get(split.splitId);
    if (split && offset !== undefined) await this.member.commit(split.topic, split.partition, offset, checkpointId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp();
    this.member.detach(this);
    await this.decoder.close();
  }

  /** @internal Whether the member should fetch for this reader now. */
  wantsRecords(): boolean {
    return !this.closed && !this.failure && !this.paused && this.split !== undefined && this.queued < this.member.maxBuffered;
  }

  /** @internal Where fetching starts. */
  position(): string {
    return this.next.toString();
  }

  /** @internal The job cannot go on. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wakeUp();
  }

  /** @internal Records the member fetched for this partition, in order; those below the position were read already. */
  async take(messages: EachBatchPayload['batch']['messages'], lastOffset: string): Promise<void> {
    const split = this.split;
    if (!split) return;
    const records: KafkaRecord<T>[] = [];
    let next = this.next;
    for (const message of messages) {
      const offset = BigInt(message.offset);
      if (offset < next) continue;
      const value = await this.decoder.decode(split, message);
      next = offset + 1n;
      if (value !== rejected) records.push(value);
    }
    // Control records (transaction markers) are not handed over: the batch may end past its last message.
    const last = BigInt(lastOffset);
    if (last + 1n > next) next = last + 1n;
    if (this.closed || this.failure) return;
    const end = next;
    this.next = next;
    if (records.length > 0) {
      this.queue.push({
        splitId: split.splitId,
        records,
        // Reading on from the next kept record skips the rejected ones between, which are in the dead-letter topic already.
        positionAfter: (index) => (index + 1 < records.length ? (records[index + 1] as KafkaRecord<T>).offset : end.toString()),
      });
      this.queued += records.length;
    }
    this.wakeUp();
  }
}
