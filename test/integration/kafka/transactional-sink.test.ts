// The transactional sink's commits against the real broker, beyond the connector kit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kafkaTransactionalSink } from 'onceflow/kafka';
import { commitWith } from 'onceflow/testing';
import { uniqueName } from '../env.js';
import { createTopic, readTopic, testKafka } from './helpers.js';

const kafka = testKafka('onceflow-transactional');
const admin = kafka.admin();
test.before(() => admin.connect());
test.after(() => admin.disconnect());

test('what a discarded checkpoint prepared, committed with the next one, is written once with it, and not again when committed after a restore', async () => {
  const topic = await createTopic(admin, 'onceflow-carried', 1);
  const sink = kafkaTransactionalSink<string>({ kafka, topic, transactionalIdPrefix: uniqueName('carried') });
  const writer = await sink.createWriter({ jobId: uniqueName('carried-job'), taskId: '1-kafka', restoredCheckpointId: 0, restoredState: undefined });
  const committer = sink.createCommitter();
  try {
    for (const value of ['a1', 'a2']) await writer.write(value);
    const discarded = await writer.prepareCommit(1, false);
    for (const value of ['b1', 'b2']) await writer.write(value);
    const next = await writer.prepareCommit(2, false);
    // The coordinator commits a discarded checkpoint's committables with the next checkpoint that completes.
    await commitWith(committer, [...discarded, ...next], 2);
    assert.equal((await readTopic(kafka, topic, 4)).sort(), ['a1', 'a2', 'b1', 'b2']);
    // A restored job commits the restored checkpoint's committables again: each is already committed.
    await commitWith(committer, [...discarded, ...next], 2);
    assert.equal((await readTopic(kafka, topic, 4)).sort(), ['a1', 'a2', 'b1', 'b2']);
  } finally {
    await writer.close?.();
    await committer.close?.();
  }
});

test.run();
