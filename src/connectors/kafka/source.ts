import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { FetchResult, RecordBatch, Source, SplitAssignment, SplitReader, SplitReaderInit } from '../../contracts/source.js';
import type { Logger } from '../../contracts/logger.js';
import { ConfigurationError, messageOf } from '../../errors.js';
import { KafkaPartitionEnumerator, splitIdOf } from './enumerator.js';
import type { KafkaEnumeratorState, KafkaPartitionSplit } from './enumerator.js';
import { KafkaConnectionError, KafkaConsumerCrashedError } from './errors.js';
import { KafkaRecordDecoder, rejected } from './decoder.js';
import type { KafkaRecord, KafkaSourceOptions } from './options.js';
import { consumerConfig, wholeOption } from './options.js';

interface PartitionState {
  readonly split: KafkaPartitionSplit;
  /** The offset of the next record to hand to the pipeline: what a (re)joined consumer seeks to. */
  next: bigint;
  readonly stopping: bigint | undefined;
  finished: boolean;
  paused: boolean;
}

type Batch<T> = RecordBatch<KafkaRecord<T>, string>;

/**
 * Reads the partitions it is assigned through one kafkajs consumer. kafkajs
 * has no `assign()`, so the consumer joins the source's group and, when the
 * group hands it partitions, seeks each to the position the pipeline is at
 * (from the checkpoint on a restore): the checkpoint, not the group's
 * committed offsets, decides where reading resumes. Records fetched before a
 * seek took effect (`isStale`) or below the position are dropped, since they
 * are read again from the position.
 */
class KafkaSplitReader<T> implements SplitReader<KafkaRecord<T>, KafkaPartitionSplit, string> {
  private readonly partitions = new Map<string, PartitionState>();
  private queue: Batch<T>[] = [];
  private finished: string[] = [];
  private queued = 0;
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  // Partitions the group gave the running consumer, by split id.
  private assignment = new Set<string>();
  private topics = new Set<string>();
  private restartNeeded = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly spaceWaiters = new Set<() => void>();
  private readonly decoder: KafkaRecordDecoder<T>;
  private closed = false;
  private readonly maxBuffered: number;
  private readonly sessionTimeout: number;
  private readonly logger: Logger | undefined;

  constructor(
    private readonly options: KafkaSourceOptions<T>,
    init: SplitReaderInit,
  ) {
    this.maxBuffered = options.maxBufferedRecords ?? 10_000;
    this.sessionTimeout = options.sessionTimeout ?? 10_000;
    this.logger = init.logger;
    this.decoder = new KafkaRecordDecoder(options, (error) => this.fail(error), init.logger);
  }

  addSplits(assignments: readonly SplitAssignment<KafkaPartitionSplit, string>[]): void {
    for (const { split, position } of assignments) {
      const next = BigInt(position ?? split.startingOffset);
      const stopping = split.stoppingOffset === undefined ? undefined : BigInt(split.stoppingOffset);
      const state: PartitionState = { split, next, stopping, finished: false, paused: false };
      this.partitions.set(split.splitId, state);
      if (stopping !== undefined && next >= stopping) {
        state.finished = true;
        this.finished.push(split.splitId);
        continue;
      }
      if (!this.consumer) continue;
      if (!this.topics.has(split.topic) || !this.assignment.has(split.splitId)) this.restartNeeded = true;
      else {
        // The group gave this consumer the partition before it was a split: it was held paused.
        this.consumer.seek({ topic: split.topic, partition: split.partition, offset: next.toString() });
        this.consumer.resume([{ topic: split.topic, partitions: [split.partition] }]);
      }
    }
    this.wakeUp();
  }

  async fetch(): Promise<FetchResult<KafkaRecord<T>, string>> {
    if (this.failure) throw this.failure;
    if (this.queue.length === 0 && this.finished.length === 0) {
      await this.ensureConsumer();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (this.failure || this.closed || this.queue.length > 0 || this.finished.length > 0 || this.restartNeeded) resolve();
      });
      this.wake = undefined;
    }
    if (this.failure) throw this.failure;
    const batches = this.queue;
    const finished = this.finished;
    this.queue = [];
    this.finished = [];
    this.queued = 0;
    for (const notify of [...this.spaceWaiters]) notify();
    return { batches, finished };
  }

  wakeUp(): void {
    this.wake?.();
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    for (const id of pause) {
      const state = this.partitions.get(id);
      if (state) state.paused = true;
    }
    for (const id of resume) {
      const state = this.partitions.get(id);
      if (state) state.paused = false;
    }
    const consumer = this.consumer;
    if (!consumer) return;
    const toPause = this.owned(pause);
    const toResume = this.owned(resume).filter((p) => !this.partitions.get(splitIdOf(p.topic, p.partitions[0] as number))?.finished);
    if (toPause.length > 0) consumer.pause(toPause);
    if (toResume.length > 0) consumer.resume(toResume);
  }

  async checkpointComplete(checkpointId: number, positions: ReadonlyMap<string, string>): Promise<void> {
    const consumer = this.consumer;
    if (this.options.commitOffsets === false || !consumer) return;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [id, offset] of positions) {
      const state = this.partitions.get(id);
      if (state && offset !== undefined && this.assignment.has(id)) offsets.push({ topic: state.split.topic, partition: state.split.partition, offset });
    }
    // A finished split is out of the checkpoint: all its records were emitted before the barrier, so its end is committed, once.
    for (const [id, state] of this.partitions) {
      if (!state.finished || positions.has(id) || !this.assignment.has(id)) continue;
      offsets.push({ topic: state.split.topic, partition: state.split.partition, offset: state.next.toString() });
      this.partitions.delete(id);
    }
    if (offsets.length === 0) return;
    // For lag tools only (a restore reads the checkpoint): a failed commit (a rebalance under way) is not worth failing the job.
    await consumer.commitOffsets(offsets).catch((error: unknown) => {
      this.logger?.warn(`kafka source: committing the offsets of checkpoint ${checkpointId} to group '${this.options.groupId}' failed: ${messageOf(error)}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp();
    for (const notify of [...this.spaceWaiters]) notify();
    await this.starting?.catch(() => {});
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch((error: unknown) => this.logger?.warn(`kafka source: disconnecting its consumer failed: ${messageOf(error)}`));
    await this.decoder.close();
  }

  private owned(ids: readonly string[]): { topic: string; partitions: number[] }[] {
    return ids.flatMap((id) => {
      const state = this.partitions.get(id);
      return state && this.assignment.has(id) ? [{ topic: state.split.topic, partitions: [state.split.partition] }] : [];
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wakeUp();
    for (const notify of [...this.spaceWaiters]) notify();
  }

  /** Start the consumer, or start it again when a split's topic or partition is not among what the group gave it. */
  private async ensureConsumer(): Promise<void> {
    if (this.closed || this.partitions.size === 0) return;
    if (this.consumer && !this.restartNeeded) return;
    this.starting ??= (async () => {
      const previous = this.consumer;
      this.consumer = undefined;
      this.restartNeeded = false;
      await previous?.disconnect();
      if (!this.closed) await this.start();
    })().finally(() => (this.starting = undefined));
    await this.starting;
  }

  private async start(): Promise<void> {
    const { kafka, groupId } = this.options;
    const consumer = kafka.consumer(consumerConfig(groupId, this.sessionTimeout, this.options.readUncommitted ?? false));
    consumer.on(consumer.events.CRASH, (event) => {
      if (consumer === this.consumer || !this.closed) this.fail(new KafkaConsumerCrashedError(groupId, event.payload.error));
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onJoin(consumer, event.payload.memberAssignment));
    this.topics = new Set([...this.partitions.values()].map((s) => s.split.topic));
    this.assignment = new Set();
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (payload) => this.onBatch(consumer, payload) });
    } catch (error) {
      throw new KafkaConnectionError(`could not start the Kafka consumer of group '${groupId}' for ${[...this.topics].join(', ')}`, error);
    }
  }

  private onJoin(consumer: Consumer, memberAssignment: Record<string, number[]>): void {
    this.assignment = new Set(Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => splitIdOf(topic, p))));
    const hold: { topic: string; partitions: number[] }[] = [];
    const go: { topic: string; partitions: number[] }[] = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) {
        const state = this.partitions.get(splitIdOf(topic, partition));
        if (state && !state.finished) consumer.seek({ topic, partition, offset: state.next.toString() });
        (state && !state.finished && !state.paused ? go : hold).push({ topic, partitions: [partition] });
      }
    }
    if (hold.length > 0) consumer.pause(hold);
    if (go.length > 0) consumer.resume(go);
    for (const state of this.partitions.values()) if (!state.finished && !this.assignment.has(state.split.splitId)) this.restartNeeded = true;
    if (this.restartNeeded) this.wakeUp();
  }

  private async onBatch(consumer: Consumer, { batch, isStale, isRunning, heartbeat }: EachBatchPayload): Promise<void> {
    if (consumer !== this.consumer || this.closed || this.failure || isStale()) return;
    const id = splitIdOf(batch.topic, batch.partition);
    const state = this.partitions.get(id);
    if (!state || state.finished) return;
    const records: KafkaRecord<T>[] = [];
    let next = state.next;
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < next) continue;
      if (state.stopping !== undefined && offset >= state.stopping) break;
      const value = await this.decoder.decode(state.split, message);
      next = offset + 1n;
      if (value === rejected) continue;
      records.push(value);
    }
    // Control records (transaction markers) are not handed to eachBatch: the batch may end past its last message.
    const lastOffset = BigInt(batch.lastOffset());
    if (lastOffset + 1n > next && (state.stopping === undefined || lastOffset < state.stopping)) next = lastOffset + 1n;
    if (consumer !== this.consumer || this.failure) return;
    const end = next;
    state.next = next;
    if (records.length > 0) {
      this.queue.push({
        splitId: id,
        records,
        // Reading on from the next kept record skips the rejected ones between, which are in the dead-letter topic already.
        positionAfter: (index) => (index + 1 < records.length ? (records[index + 1] as KafkaRecord<T>).offset : end.toString()),
      });
      this.queued += records.length;
    }
    if (state.stopping !== undefined && state.next >= state.stopping) {
      state.finished = true;
      this.finished.push(id);
      consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    }
    this.wakeUp();
    // Hold the consumer while the pipeline is behind, heartbeating so the group keeps this member.
    while (this.queued >= this.maxBuffered && isRunning() && !this.closed && !this.failure && consumer === this.consumer) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.floor(this.sessionTimeout / 3));
        const waiters = this.spaceWaiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
      await heartbeat().catch(() => {});
    }
  }
}

/**
 * An exactly-once Kafka source (Flink's `KafkaSource`): each partition is a
 * split whose offset is stored in every checkpoint, and a restored job reads
 * on from there. The group's committed offsets only place a job that starts
 * without a checkpoint; each completed checkpoint's offsets are committed to
 * the group so lag tools see progress. Partitions are read side by side, so
 * the merged stream is not the same on replay: `'nondeterministic'`.
 */
export function kafkaSource<T>(options: KafkaSourceOptions<T>): Source<KafkaRecord<T>, 'exactly-once', 'nondeterministic', KafkaPartitionSplit, string, KafkaEnumeratorState> {
  const owner = 'kafkaSource';
  if ((options.topics === undefined || options.topics.length === 0) === (options.topicPattern === undefined)) {
    throw new ConfigurationError(`${owner}: give exactly one of the options topics (a non-empty list) and topicPattern`);
  }
  if (!options.groupId) throw new ConfigurationError(`${owner} option groupId must be a non-empty string`);
  if (options.startingOffsets !== undefined && options.startingOffsets !== 'earliest' && options.startingOffsets !== 'latest') {
    throw new ConfigurationError(`${owner} option startingOffsets must be 'earliest' or 'latest', got ${String(options.startingOffsets)}`);
  }
  const discoveryInterval = wholeOption(owner, 'discoveryInterval', options.discoveryInterval ?? 10_000, 0);
  wholeOption(owner, 'maxBufferedRecords', options.maxBufferedRecords ?? 10_000, 1);
  wholeOption(owner, 'sessionTimeout', options.sessionTimeout ?? 10_000, 1);
  if (options.deadLetterTopic !== undefined && (options.deadLetterTopic === '' || options.topics?.includes(options.deadLetterTopic))) {
    throw new ConfigurationError(`${owner} option deadLetterTopic must name a topic other than those it reads, got '${options.deadLetterTopic}'`);
  }
  return {
    name: 'kafka',
    guarantee: 'exactly-once',
    replay: 'nondeterministic',
    createEnumerator: (init) => new KafkaPartitionEnumerator(init, options as KafkaSourceOptions<unknown>, discoveryInterval),
    createReader: (init) => new KafkaSplitReader(options, init),
  };
}
