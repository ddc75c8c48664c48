// The Kinesis connectors through the connector test kit, against kinesalite.
import { test } from 'uvu';
import { kinesisSink, kinesisSource } from 'onceflow/kinesis';
import type { KinesisRecord } from 'onceflow/kinesis';
import { sinkTestCases, sourceTestCases } from 'onceflow/testing';
import type { ConnectorTestCase } from 'onceflow/testing';
import type { Shard } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../../services/kinesis.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer, uniqueName } from '../env.js';
import { createStream, deleteStream, isOpen, putLines, readAll, shards, splitShard } from './streams.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`kinesis kit seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const client = kinesisClient(requireServer('kinesis'));
const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

// A split of the kit is a shard. The stream starts with one; each later split goes into an
// open shard nothing was put into yet, made by splitting a used one when there is none: so the
// kit's splits are parents and children, and children are read side by side.
let stream = '';
let used = new Set<string>();
register(
  sourceTestCases<KinesisRecord>(
    {
      name: 'kinesisSource',
      async setUp() {
        stream = uniqueName('onceflow-kit-src');
        used = new Set();
        await createStream(client, stream, 1);
      },
      async tearDown() {
        await deleteStream(client, stream);
      },
      async addSplit(lines) {
        let open = (await shards(client, stream)).filter(isOpen);
        let target = open.find((shard) => !used.has(shard.ShardId as string));
        if (!target) {
          await splitShard(client, stream, open[open.length - 1] as Shard);
          open = (await shards(client, stream)).filter(isOpen);
          target = open.find((shard) => !used.has(shard.ShardId as string)) as Shard;
        }
        used.add(target.ShardId as string);
        await putLines(client, stream, lines, target.HashKeyRange?.StartingHashKey);
      },
      createSource: () => kinesisSource({ client, streamName: stream, discoveryInterval: 100, pollInterval: 20 }),
      text: (record) => Buffer.from(record.data).toString(),
      discoversSplits: true,
    },
    { random },
  ),
);

let sinkStream = '';
register(
  sinkTestCases(
    {
      name: 'kinesisSink',
      async setUp() {
        sinkStream = uniqueName('onceflow-kit-sink');
        await createStream(client, sinkStream, 2);
      },
      async tearDown() {
        await deleteStream(client, sinkStream);
      },
      createSink: () => kinesisSink<string>({ client, streamName: sinkStream, partitionKey: (line) => line }),
      read: async () => (await readAll(client, sinkStream)).map((data) => Buffer.from(data).toString()),
    },
    { random },
  ),
);

test.after(() => client.destroy());
test.run();
