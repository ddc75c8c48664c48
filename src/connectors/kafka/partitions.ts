import type { Admin } from 'kafkajs';
import { KafkaUnknownPartitionError, KafkaUnknownTopicError } from './errors.js';

/**
 * The partition counts of the topics a sink writes, to refuse a record for a
 * partition the topic lacks: kafkajs would drop it with `send` succeeding.
 * A count is read once and again only when a record asks for a partition
 * beyond it (the topic may have grown).
 */
export class PartitionCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly admin: () => Promise<Admin>) {}

  /** Whether `partition` of `topic` is known to exist without asking the cluster. */
  known(topic: string, partition: number | undefined): boolean {
    const count = this.counts.get(topic);
    return count !== undefined && (partition === undefined || partition < count);
  }

  /** Throw a named error unless `topic` exists and has `partition`. */
  async check(topic: string, partition: number | undefined): Promise<void> {
    if (this.known(topic, partition)) return;
    const count = await this.read(topic);
    if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition >= count)) throw new KafkaUnknownPartitionError(topic, partition, count);
  }

  private async read(topic: string): Promise<number> {
    const admin = await this.admin();
    // Checked through the topic list first: a metadata request for a missing topic creates it on brokers with auto.create.topics.enable.
    if (!(await admin.listTopics()).includes(topic)) throw new KafkaUnknownTopicError(topic, 'that a record is addressed to');
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new KafkaUnknownTopicError(topic, 'that a record is addressed to');
    this.counts.set(topic, count);
    return count;
  }
}
