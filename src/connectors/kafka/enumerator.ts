import type { Admin } from 'kafkajs';
import type { SourceSplit, SplitEnumerator, SplitEnumeratorInit } from '../../contracts/source.js';
import type { Logger } from '../../contracts/logger.js';
import { messageOf } from '../../errors.js';
import { KafkaConnectionError, KafkaUnknownTopicError } from './errors.js';
import type { KafkaSourceOptions } from './options.js';

/** A partition as a split: read on its own, with its own offset. Plain data. */
export interface KafkaPartitionSplit extends SourceSplit {
  readonly topic: string;
  readonly partition: number;
  /** Where reading starts when the checkpoint holds no position for it. */
  readonly startingOffset: string;
  /** For a bounded source: the offset the split ends before. */
  readonly stoppingOffset?: string;
}

/** What the enumerator stores in a checkpoint: the partitions it has assigned, so a restored job assigns only new ones. */
export interface KafkaEnumeratorState {
  readonly assigned: readonly string[];
}

/** A partition's split id. */
export function splitIdOf(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Finds the partitions of the source's topics (and of topics matching its
 * pattern) and assigns each once, at start and then every
 * `discoveryInterval` ms, as Flink's `KafkaSourceEnumerator` does. On a
 * job's first start a partition starts at the group's committed offset, or
 * at the `startingOffsets` fallback; a partition found later starts at its
 * earliest offset, so nothing written to it before it was found is missed.
 */
export class KafkaPartitionEnumerator implements SplitEnumerator<KafkaPartitionSplit, KafkaEnumeratorState> {
  private readonly assigned: Set<string>;
  private readonly firstStart: boolean;
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private discovering: Promise<void> | undefined;
  // kafkajs's disconnect() does not stop a request in flight: a connection it opens afterwards keeps the process alive.
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly init: SplitEnumeratorInit<KafkaPartitionSplit, KafkaEnumeratorState>,
    private readonly options: KafkaSourceOptions<unknown>,
    private readonly discoveryInterval: number,
    private readonly logger?: Logger,
  ) {
    this.assigned = new Set(init.restoredState?.assigned ?? []);
    this.firstStart = init.restoredState === undefined;
  }

  async start(): Promise<void> {
    if (this.closed) return;
    this.starting = this.connectAndDiscover();
    await this.starting;
    if (this.closed) return;
    if (this.options.bounded) this.init.context.signalNoMoreSplits();
    else if (this.discoveryInterval > 0) {
      this.timer = setInterval(() => {
        this.discovering ??= this.discover(false)
          .catch((error: unknown) => this.init.context.fail(error))
          .finally(() => (this.discovering = undefined));
      }, this.discoveryInterval);
      this.timer.unref();
    }
  }

  snapshotState(): KafkaEnumeratorState {
    return { assigned: [...this.assigned] };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.starting?.catch(() => {});
    await this.discovering;
    await this.admin?.disconnect().catch((error: unknown) => this.logger?.warn(`kafka source: closing its admin client failed: ${messageOf(error)}`));
  }

  private async connectAndDiscover(): Promise<void> {
    const admin = this.options.kafka.admin();
    this.admin = admin;
    try {
      await admin.connect();
    } catch (error) {
      throw new KafkaConnectionError(`could not connect to the Kafka brokers to find the partitions of ${this.describeTopics()}`, error);
    }
    await this.discover(this.firstStart);
  }

  private describeTopics(): string {
    return this.options.topicPattern ? `the topics matching ${String(this.options.topicPattern)}` : `topic(s) ${(this.options.topics ?? []).join(', ')}`;
  }

  private async topics(admin: Admin): Promise<string[]> {
    const pattern = this.options.topicPattern;
    if (!pattern) return [...(this.options.topics ?? [])];
    return (await admin.listTopics()).filter((topic) => !topic.startsWith('__') && pattern.test(topic)).sort();
  }

  private async discover(first: boolean): Promise<void> {
    const admin = this.admin;
    if (!admin || this.closed) return;
    const topics = await this.topics(admin);
    if (topics.length === 0) return;
    // Checked through the topic list first: a metadata request for a missing topic creates it on brokers with auto.create.topics.enable.
    const existing = new Set(await admin.listTopics());
    const missing = topics.find((topic) => !existing.has(topic));
    if (missing !== undefined) throw new KafkaUnknownTopicError(missing, 'that the kafka source reads');
    let metadata;
    try {
      metadata = await admin.fetchTopicMetadata({ topics });
    } catch (error) {
      throw new KafkaConnectionError(`could not read the partitions of ${this.describeTopics()}`, error);
    }
    const found: { topic: string; partition: number }[] = [];
    for (const topic of metadata.topics) {
      for (const { partitionId } of topic.partitions) {
        if (!this.assigned.has(splitIdOf(topic.name, partitionId))) found.push({ topic: topic.name, partition: partitionId });
      }
    }
    if (found.length === 0 || this.closed) return;
    const splits: KafkaPartitionSplit[] = [];
    for (const topic of new Set(found.map((f) => f.topic))) {
      const partitions = found.filter((f) => f.topic === topic).map((f) => f.partition);
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = first ? await committedOffsets(admin, this.options.groupId, topic) : new Map<number, string>();
      for (const partition of partitions) {
        const end = ends.find((e) => e.partition === partition);
        const low = end?.low ?? '0';
        const high = end?.high ?? '0';
        const fallback = first && this.options.startingOffsets === 'latest' ? high : low;
        splits.push({
          splitId: splitIdOf(topic, partition),
          topic,
          partition,
          startingOffset: committed.get(partition) ?? fallback,
          ...(this.options.bounded ? { stoppingOffset: high } : {}),
        });
      }
    }
    if (this.closed) return;
    for (const split of splits) this.assigned.add(split.splitId);
    if (!first) this.logger?.info(`kafka source: found ${splits.length} new partition(s): ${splits.map((s) => s.splitId).join(', ')}`);
    this.init.context.assignSplits(splits);
  }
}

/** The offsets `groupId` has committed on `topic`'s partitions, by partition; none for a partition without one. */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, string>> {
  const result = await admin.fetchOffsets({ groupId, topics: [topic] });
  const offsets = new Map<number, string>();
  for (const { partition, offset } of result[0]?.partitions ?? []) if (offset !== '-1' && offset !== '') offsets.set(partition, offset);
  return offsets;
}
