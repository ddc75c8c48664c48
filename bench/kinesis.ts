/**
 * Figure 7: records/s of Kinesis -> map -> Kinesis (the Kinesis source, a map, the
 * Kinesis sink, checkpoints on) against a plain client loop doing the same work
 * (GetRecords of every shard, then PutRecords of what it read, 500 a request), on
 * kinesalite in its own process, both in one run, alternately. Both read a
 * stream of 4 shards filled beforehand and write to a fresh stream each run.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { map, memoryStore, pipeline } from 'onceflow';
import { kinesisSink, kinesisSource } from 'onceflow/kinesis';
import type { KinesisRecord } from 'onceflow/kinesis';
import type { BenchOptions, Figure } from './measure.js';
import { interleaved, rateFigure, runIfMain } from './measure.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const port = 45_000 + Math.floor(Math.random() * 1000);
const endpoint = `http://127.0.0.1:${port}`;

function client(): KinesisClient {
  return new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
}

async function startKinesalite(): Promise<() => void> {
  const main = createRequire(import.meta.url).resolve('kinesalite');
  const code = `require(${JSON.stringify(main)})({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 }).listen(${port}, '127.0.0.1', () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`kinesalite exited with ${code}`)));
  });
  return () => child.kill();
}

let streams = 0;
async function createStream(kinesis: KinesisClient, shards: number): Promise<string> {
  const StreamName = `bench-${++streams}`;
  await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
  while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 10));
  return StreamName;
}

const upper = (record: KinesisRecord): string => Buffer.from(record.data).toString().toUpperCase();

/** The baseline: read every shard to its last record with GetRecords, put what came back with PutRecords. */
async function plainLoop(kinesis: KinesisClient, input: string, output: string, total: number): Promise<void> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: input }));
  let moved = 0;
  await Promise.all(
    Shards.map(async (shard) => {
      let { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: input, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      while (moved < total && ShardIterator) {
        const read = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
        ShardIterator = read.NextShardIterator;
        const records = read.Records ?? [];
        if (records.length === 0) break;
        for (let i = 0; i < records.length; i += 500) {
          const Records = records.slice(i, i + 500).map((r) => ({ Data: Buffer.from(upper({ data: r.Data ?? new Uint8Array() } as KinesisRecord)), PartitionKey: r.PartitionKey ?? 'k' }));
          const put = await kinesis.send(new PutRecordsCommand({ StreamName: output, Records }));
          if (put.FailedRecordCount) throw new Error('the baseline had entries fail');
        }
        moved += records.length;
      }
    }),
  );
}

async function onceflowJob(kinesis: KinesisClient, input: string, output: string, total: number): Promise<void> {
  let seen = 0;
  let handle: { drain(): Promise<unknown> } | undefined;
  const job = pipeline({ id: `bench-kinesis-${output}`, checkpoints: { interval: 1000, store: memoryStore() }, logger, signals: false })
    .from(kinesisSource({ client: kinesis, streamName: input, pollInterval: 50 }))
    .pipe(
      map((record: KinesisRecord) => {
        // Every record is in: a final checkpoint flushes the sink, then the job ends.
        if (++seen === total) setImmediate(() => void handle?.drain());
        return { key: record.partitionKey, text: upper(record) };
      }),
    )
    .to(kinesisSink<{ key: string; text: string }>({ client: kinesis, streamName: output, partitionKey: (r) => r.key, serialize: (r) => Buffer.from(r.text), batching: { maxTimeInBuffer: 50 } }));
  const started = job.start();
  handle = started;
  await started.done;
}

async function kinesisBenchmark({ full }: BenchOptions): Promise<Figure[]> {
  const stop = await startKinesalite();
  const kinesis = client();
  try {
    const total = full ? 40_000 : 10_000;
    const input = await createStream(kinesis, 4);
    for (let n = 0; n < total; n += 500) {
      const Records = Array.from({ length: Math.min(500, total - n) }, (_, i) => ({ Data: Buffer.from(`record ${n + i} ${'x'.repeat(80)}`), PartitionKey: `k${(n + i) % 97}` }));
      await kinesis.send(new PutRecordsCommand({ StreamName: input, Records }));
    }
    const runs = full ? 5 : 3;
    const times = await interleaved(
      runs,
      async () => onceflowJob(kinesis, input, await createStream(kinesis, 4), total),
      async () => plainLoop(kinesis, input, await createStream(kinesis, 4), total),
    );
    return [
      {
        figure: '7 Kinesis -> map -> Kinesis vs a GetRecords/PutRecords loop',
        ...rateFigure(total, times.a, times.b),
        target: { op: '>=', value: 0.8 },
        details: { records: total, shards: 4, onceflowSeconds: times.a, plainSeconds: times.b, note: 'stream creation is inside both timings alike' },
      },
    ];
  } finally {
    kinesis.destroy();
    stop();
  }
}

runIfMain(import.meta.url, kinesisBenchmark);
