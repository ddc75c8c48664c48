import { CreateStreamCommand, DeleteStreamCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kinesisClient } from '../../../services/kinesis.js';
import { requireServer, uniqueName } from '../env.js';

const client = kinesisClient(requireServer('kinesis'));
const StreamName = uniqueName('onceflow-smoke');

test.after(async () => {
  await client.send(new DeleteStreamCommand({ StreamName }));
  client.destroy();
});

test('a record put on a new stream is read back from its shard', async () => {
  await client.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
  await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 1 }, { StreamName });
  const put = await client.send(new PutRecordCommand({ StreamName, PartitionKey: 'k', Data: Buffer.from('hello kinesis') }));
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamName, ShardId: put.ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber }),
  );
  const { Records = [] } = await client.send(new GetRecordsCommand({ ShardIterator }));
  assert.is(Records.length, 1);
  assert.is(Buffer.from(Records[0]?.Data ?? []).toString(), 'hello kinesis');
  assert.is(Records[0]?.SequenceNumber, put.SequenceNumber);
});

test.run();
