// Falling back to an older checkpoint, or to none, after the newest was committed: for every
// exactly-once sink the job either stays exactly-once or refuses to start. Never a silent
// duplicate, never a false "lost".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { basePathBuckets, collectionSource, concatMap, defaultRollingPolicy, fileStore, JobFailedError, pipeline, ResumeWouldDuplicateError, rollingFileSink } from 'onceflow';
import type { JobHandle, Sink } from 'onceflow';
import { memorySink } from 'onceflow/testing';
import { withTempDir } from '../temp-dir.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const records = Array.from({ length: 40_000 }, (_, i) => `r${i}`);

type Damage = (checkpoints: string) => Promise<void>;

/** The job's checkpoint files, newest first. */
async function checkpointFiles(checkpoints: string): Promise<string[]> {
  const names = (await readdir(checkpoints)).filter((n) => n.endsWith('.ckpt'));
  return names.sort((a, b) => Number(/\d+/.exec(b)?.[0]) - Number(/\d+/.exec(a)?.[0])).map((n) => join(checkpoints, n));
}

const damages: Record<string, Damage> = {
  'the newest checkpoint truncated': async (dir) => {
    const [newest] = await checkpointFiles(dir);
    await truncate(newest!, (await readFile(newest!)).length - 7);
  },
  'a byte of the newest checkpoint flipped': async (dir) => {
    const [newest] = await checkpointFiles(dir);
    const bytes = await readFile(newest!);
    bytes[bytes.length - 3]! ^= 0x01;
    await writeFile(newest!, bytes);
  },
  'the newest checkpoint deleted': async (dir) => {
    const [newest] = await checkpointFiles(dir);
    await rm(newest!);
  },
  'the checkpoint directory deleted': async (dir) => {
    await rm(dir, { recursive: true });
  },
};

function untilCheckpoint(handle: JobHandle, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    handle.events.subscribe({
      next: (e) => e.type === 'checkpoint-completed' && e.checkpointId === id && resolve(),
      complete: () => reject(new Error(`the job ended before checkpoint ${id} completed`)),
    });
  });
}

interface SinkUnderTest {
  readonly sink: Sink<string, 'exactly-once', 'exactly-once', false>;
  /** What a reader of the sink sees. */
  output(): Promise<string[]>;
}

const sinks: Record<string, (out: string) => SinkUnderTest> = {
  rollingFileSink: (out) => ({
    sink: rollingFileSink<string>({ directory: out, bucketAssigner: basePathBuckets(), rollingPolicy: defaultRollingPolicy({ maxPartSize: 4_000 }) }) as Sink<
      string,
      'exactly-once',
      'exactly-once',
      false
    >,
    async output() {
      const parts = (await readdir(out)).filter((n) => /^part-.*-\d+$/.test(n)).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
      const lines: string[] = [];
      for (const part of parts) lines.push(...(await readFile(join(out, part), 'utf8')).split('\n').filter((l) => l.length > 0));
      return lines;
    },
  }),
  memorySink: () => {
    const sink = memorySink<string>();
    return { sink: sink as Sink<string, 'exactly-once', 'exactly-once', false>, output: async () => [...sink.committed] };
  },
};

for (const [sinkName, makeSink] of Object.entries(sinks)) {
  for (const [damageName, damage] of Object.entries(damages)) {
    test(`${sinkName}, ${damageName} after its output was committed: the job refuses to start, and resumes exactly-once once the checkpoints are back`, () =>
      withTempDir('fallback', async (root) => {
        const store = join(root, 'checkpoints');
        const { sink, output } = makeSink(join(root, 'out'));
        const build = () =>
          // A shorter flow-control queue: barriers wait behind at most 2000 records in concatMap, so checkpoints keep
          // coming while the input lasts, and by the third the rolling sink has finished parts (4 KB) to commit.
          pipeline({
            id: 'fallback',
            guarantee: 'exactly-once',
            checkpoints: { interval: 5, store: fileStore({ directory: store }) },
            flowControl: { highWaterMark: 2000, lowWaterMark: 1000 },
            logger: quiet,
          })
            .from(collectionSource(records, { chunkSize: 5 }))
            // A turn of the event loop per record: the input outlasts three checkpoints however fast the machine.
            .pipe(concatMap((r: string) => new Promise<string>((resolve) => setImmediate(() => resolve(r)))))
            .to(sink);
        const first = build().start();
        await untilCheckpoint(first, 3).catch(async (e: unknown) => assert.unreachable(`${String(e)}: ${String(await first.done.catch((f: unknown) => f))}`));
        await first.stop();
        const committed = await output();
        assert.ok(committed.length > 0, 'the newest checkpoint committed output');
        await cp(store, `${store}.backup`, { recursive: true });
        await damage(join(store, 'fallback'));

        const failure = await build().run().catch((e: unknown) => e);
        // Found by the runner (the store's record of its newest checkpoint) or by the sink (what it committed).
        const refused = failure instanceof JobFailedError ? failure.cause : failure;
        assert.instance(refused, ResumeWouldDuplicateError, String(failure));
        assert.match(String(refused), /would write that output again.*replayCommittedOutput: true/);
        assert.equal(await output(), committed, 'nothing written by the refused run');

        // The user's first choice: bring the checkpoints back.
        await rm(store, { recursive: true, force: true });
        await cp(`${store}.backup`, store, { recursive: true });
        const result = await build().run();
        assert.is(result.outcome, 'finished');
        const all = await output();
        assert.is(all.length, records.length, 'every record once');
        assert.equal(all, records);
      }));
  }
}

test.run();
