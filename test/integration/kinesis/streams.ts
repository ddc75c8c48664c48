// Streams on kinesalite for the Kinesis tests: made per case, with shards whose hash ranges
// the tests know, so that a test puts a line into exactly the shard it means.
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';

export async function waitActive(client: KinesisClient, StreamName: string): Promise<void> {
  for (;;) {
    const { StreamDescriptionSummary } = await client.send(new DescribeStreamSummaryCommand({ StreamName }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function createStream(client: KinesisClient, StreamName: string, ShardCount: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName, ShardCount }));
  await waitActive(client, StreamName);
}

export async function deleteStream(client: KinesisClient, StreamName: string): Promise<void> {
  await client.send(new DeleteStreamCommand({ StreamName })).catch(() => undefined);
}

export async function shards(client: KinesisClient, StreamName: string): Promise<Shard[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName }));
  return Shards;
}

export const isOpen = (shard: Shard): boolean => shard.SequenceNumberRange?.EndingSequenceNumber === undefined;

/**
 * Put `lines` in order, 500 a request: into the shard whose hash range starts at `hashKey`
 * when given, otherwise by partition key (`keyOf`, default the line itself).
 */
export async function putLines(client: KinesisClient, StreamName: string, lines: readonly string[], hashKey?: string, keyOf: (line: string) => string = (line) => line): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const Records = lines.slice(i, i + 500).map((line) => ({ Data: Buffer.from(line), PartitionKey: keyOf(line), ...(hashKey === undefined ? {} : { ExplicitHashKey: hashKey }) }));
    // One at a time within a shard keeps the lines in order; PutRecords keeps the order of its entries.
    const { FailedRecordCount } = await client.send(new PutRecordsCommand({ StreamName, Records }));
    if (FailedRecordCount) throw new Error(`${FailedRecordCount} records were not put`);
  }
}

/** Split an open shard in two at the middle of its hash range; returns the children's starting hash keys (low, high). */
export async function splitShard(client: KinesisClient, StreamName: string, shard: Shard): Promise<[string, string]> {
  const start = BigInt(shard.HashKeyRange?.StartingHashKey ?? '0');
  const end = BigInt(shard.HashKeyRange?.EndingHashKey ?? '0');
  const middle = start + (end - start + 1n) / 2n;
  await client.send(new SplitShardCommand({ StreamName, ShardToSplit: shard.ShardId, NewStartingHashKey: middle.toString() }));
  await waitActive(client, StreamName);
  return [start.toString(), middle.toString()];
}

/** Merge two adjacent open shards. */
export async function mergeShards(client: KinesisClient, StreamName: string, low: Shard, high: Shard): Promise<void> {
  await client.send(new MergeShardsCommand({ StreamName, ShardToMerge: low.ShardId, AdjacentShardToMerge: high.ShardId }));
  await waitActive(client, StreamName);
}

/** Every record's data in every shard of the stream, from each shard's oldest record. */
export async function readAll(client: KinesisClient, StreamName: string): Promise<Uint8Array[]> {
  const all: Uint8Array[] = [];
  for (const shard of await shards(client, StreamName)) {
    let { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    while (ShardIterator) {
      const { Records = [], NextShardIterator, MillisBehindLatest } = await client.send(new GetRecordsCommand({ ShardIterator }));
      all.push(...Records.map((record) => record.Data ?? new Uint8Array()));
      // An open shard has no end: stop once a read is caught up and empty.
      if (Records.length === 0 && MillisBehindLatest === 0) break;
      ShardIterator = NextShardIterator;
    }
  }
  return all;
}
