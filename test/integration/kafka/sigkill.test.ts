// The Kafka connectors under SIGKILL: a child process runs topic -> keyed count -> topic and is
// killed at random moments and at the transactional sink's protocol points, then restarted with
// the same checkpoint directory until a run finishes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { requireServer } from '../env.js';
import { assertExactlyOnce, createTopic, produce, readTopic, testKafka } from './helpers.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`kafka sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);

const brokers = requireServer('kafka');
const kafka = testKafka('onceflow-sigkill');
const job = new URL('./fixtures/count-job.ts', import.meta.url);
// The transactional run gets twice as many: its 7 runs must not use the input up before the 5th random kill.
const records = Number(process.env.ONCEFLOW_KAFKA_KILL_RECORDS ?? 100_000);
const transactionalRecords = 2 * records;
const keys = 50;
// Runs are killed a few ms after their first checkpoint with records, never later: a run reads
// its bounded input in a burst of a few hundred ms, and the default minPause (as long as the last
// checkpoint took) puts the next checkpoint after the burst, so waiting for a second checkpoint
// (or longer) let a run finish its input before the kill, and the fifth kill never came.
const killAfterCheckpoints = 1;

/** `records` values `k<key>:<n>` over 4 partitions; returns how many each key got. */
async function writeInput(topic: string, records: number): Promise<Map<string, number>> {
  const perKey = new Map<string, number>();
  const byPartition: string[][] = [[], [], [], []];
  for (let i = 0; i < records; i++) {
    const key = `k${i % keys}`;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    (byPartition[i % 4] as string[]).push(`${key}:${i}`);
  }
  await Promise.all(byPartition.map((values, partition) => produce(kafka, topic, partition, values)));
  return perKey;
}

/** Run the job once, expecting it to kill itself at `killAt`. */
function runUntilItKillsItself(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', fileURLToPath(job), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the job was to kill itself at ${args.at(-1)}, but exited with ${code ?? signal}:\n${stderr}`));
    });
  });
}

test(`transactional sink: ${transactionalRecords} records from 4 partitions through a keyed count, killed at both protocol points and 5 times at random: a read_committed consumer sees each result exactly once`, async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const input = await createTopic(admin, 'onceflow-kill-in', 4);
    const output = await createTopic(admin, 'onceflow-kill-out', 2);
    const perKey = await writeInput(input, transactionalRecords);
    await withTempDir('kafka-kill', async (root) => {
      const args = (killAt: string) => [brokers, input, output, join(root, 'checkpoints'), 'transactional', killAt];
      // A crash after a checkpoint is stored and before its transaction commits: the restored job must commit it.
      await runUntilItKillsItself(args('after-store'));
      // A crash inside a commit, its records sent: the restart aborts that transaction and commits the checkpoint again.
      await runUntilItKillsItself(args('in-commit'));
      const { kills, checkpointsAtKill } = await runWithKills(job, args('none'), { kills: 5, random, maxCheckpoints: killAfterCheckpoints });
      assert.is(kills, 5, `killed 5 times (after ${checkpointsAtKill.join(', ')} checkpoints)`);
    });
    assertExactlyOnce(await readTopic(kafka, output, transactionalRecords), perKey);
  } finally {
    await admin.disconnect();
  }
});

test(`at-least-once sink: ${records} records, killed 5 times: every result is there`, async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const input = await createTopic(admin, 'onceflow-kill-in', 4);
    const output = await createTopic(admin, 'onceflow-kill-out', 2);
    const perKey = await writeInput(input, records);
    await withTempDir('kafka-kill-alo', async (root) => {
      const { kills } = await runWithKills(job, [brokers, input, output, join(root, 'checkpoints'), 'at-least-once'], { kills: 5, random, maxCheckpoints: killAfterCheckpoints });
      assert.is(kills, 5);
    });
    const seen = new Set(await readTopic(kafka, output, records));
    const missing = [...perKey].flatMap(([key, n]) => Array.from({ length: n }, (_, i) => `${key}=${i + 1}`)).filter((r) => !seen.has(r));
    assert.equal(missing.slice(0, 10), [], `no result lost (${missing.length} missing)`);
  } finally {
    await admin.disconnect();
  }
});

test.run();
