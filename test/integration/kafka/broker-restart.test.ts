// The broker goes away mid-run and comes back (the harness's Kafka, stopped and started
// again on its data): the job fails, its restart strategy restarts it from the latest
// checkpoint until the broker answers, and the transactional sink's output holds every
// input record exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStore, fixedDelayRestart, map, pipeline } from 'onceflow';
import { kafkaSource, kafkaTransactionalSink, stringDeserializer } from 'onceflow/kafka';
import { stopKeepingData } from '../../../services/index.js';
import { uniqueName } from '../env.js';
import { withTempDir } from '../../temp-dir.js';
import { createTopic, readTopic, testKafka } from './helpers.js';

const kafka = testKafka('onceflow-broker-restart');
const batches = 40;
const perBatch = 250;
const total = batches * perBatch;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function waitFor(condition: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('the broker stopped and started again mid-run: the job restarts through its strategy and the output holds every record once', async () => {
  const admin = kafka.admin();
  await admin.connect();
  const input = await createTopic(admin, 'onceflow-restart-in', 4);
  const output = await createTopic(admin, 'onceflow-restart-out', 2);
  await admin.disconnect();

  await withTempDir('kafka-broker-restart', async (dir) => {
    let checkpoints = 0;
    const restarts: unknown[] = [];
    const handle = pipeline({
      id: uniqueName('broker-restart'),
      checkpoints: { interval: 200, store: fileStore({ directory: dir }) },
      restart: fixedDelayRestart({ attempts: 60, delay: 1000 }),
      logger: quiet,
      signals: false,
    })
      .from(kafkaSource({ kafka, topics: [input], groupId: uniqueName('restart-group'), deserializer: stringDeserializer(), sessionTimeout: 6000 }))
      .pipe(map((record) => record.value))
      .to(kafkaTransactionalSink<string>({ kafka, topic: output, transactionalIdPrefix: uniqueName('restart') }))
      .start();
    handle.events.subscribe((event) => {
      if (event.type === 'checkpoint-completed') checkpoints++;
      if (event.type === 'restarting') restarts.push(event.error);
    });

    // Records come in batches while the job runs; none is produced while the broker is away.
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    let brokerAway: Promise<void> | undefined;
    try {
      for (let batch = 0; batch < batches; batch++) {
        if (batch === batches / 2) {
          await waitFor(() => checkpoints >= 3, 30_000, 'three checkpoints before the broker stops');
          const stopped = await stopKeepingData('kafka', () => {});
          brokerAway = new Promise((resolve) => setTimeout(resolve, 4000)).then(() => stopped.startAgain(() => {}));
          await brokerAway;
          await waitFor(() => restarts.length > 0, 30_000, 'the job to restart after the broker went away');
        }
        const messages = Array.from({ length: perBatch }, (_, i) => ({ value: `r-${batch * perBatch + i}` }));
        await producer.send({ topic: input, acks: -1, messages });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      // Whatever failed, the broker must be back for the suites after this one.
      await brokerAway?.catch(() => {});
      await producer.disconnect().catch(() => {});
    }

    let values: string[] = [];
    const deadline = Date.now() + 90_000;
    while (values.length < total && Date.now() < deadline) values = await readTopic(kafka, output, total, 2000);
    await handle.stop();
    await handle.done.catch(() => {});

    assert.ok(restarts.length > 0, 'the job restarted');
    const seen = new Set(values);
    assert.is(seen.size, values.length, `no record twice (${values.length - seen.size} duplicates)`);
    const missing = Array.from({ length: total }, (_, i) => `r-${i}`).filter((value) => !seen.has(value));
    assert.equal(missing.slice(0, 10), [], `no record lost (${missing.length} missing)`);
  });
});

test.run();
