import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { collectionSource, concatMap, count, fixedDelayRestart, keyBy, map, memoryStore, pipeline, union } from 'onceflow';
import type { Keyed } from 'onceflow';
import { memorySink } from 'onceflow/testing';
import { committedLines } from './fixtures/directory-sink.js';
import { runSeed, seededRandom } from './random.js';
import { runWithKills } from '../kill-restart.js';
import { withTempDir } from '../temp-dir.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The keyed count's output when nothing fails: `k<key>:<running count>` per record, in order. */
function expectedCounts(records: number, keys: number): string[] {
  const counts = new Map<string, number>();
  return range(records).map((x) => {
    const key = `k${x % keys}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return `${key}:${n}`;
  });
}

function keyedCountJob(id: string, sink: ReturnType<typeof memorySink<string>>, failAt: Set<number>) {
  return pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 2, store: memoryStore() }, restart: fixedDelayRestart({ attempts: 20, delay: 0 }), logger: quiet })
    .from(collectionSource(range(100_000), { chunkSize: 200 }))
    .pipe(
      map((x: number) => {
        if (failAt.delete(x)) throw new Error(`injected failure at record ${x}`);
        return x;
      }),
      keyBy((x) => `k${x % 1000}`),
      count(),
      map(({ key, value }) => `${key}:${value}`),
    )
    .to(sink);
}

test('(1) an operator throwing at random points: the committed output equals the failure-free run', async () => {
  const seed = runSeed();
  const random = seededRandom(seed);
  const failAt = new Set(range(5).map(() => Math.floor(random() * 100_000)));
  const failures = failAt.size;
  const clean = memorySink<string>();
  await keyedCountJob('clean', clean, new Set()).run();
  const faulty = memorySink<string>();
  const result = await keyedCountJob('faulty', faulty, failAt).run();
  assert.is(result.attempts, failures + 1, `seed ${seed}`);
  assert.equal(clean.committed, expectedCounts(100_000, 1000));
  assert.equal(faulty.committed, clean.committed, `seed ${seed}`);
});

test('(2) the job process killed by SIGKILL at random moments and restarted: every record exactly once', async () => {
  const seed = runSeed();
  const random = seededRandom(seed);
  const records = 400_000;
  await withTempDir('kill', async (directory) => {
    // Kill the first few runs a random number of checkpoints (1 to 4) in, plus a random delay.
    const { kills } = await runWithKills(new URL('./fixtures/keyed-count-job.ts', import.meta.url), [directory, String(records), '500'], {
      kills: 4,
      maxCheckpoints: 4,
      random,
    });
    assert.ok(kills >= 1, `the test must have killed the job at least once (seed ${seed})`);
    assert.equal(committedLines(join(directory, 'out')), expectedCounts(records, 500), `seed ${seed}`);
  });
});

test('(3) a two-input union at different speeds with failures: aligned checkpoints give the failure-free counts', async () => {
  const seed = runSeed();
  const random = seededRandom(seed);
  const failAt = new Set(range(4).map(() => Math.floor(random() * 20_000)));
  const run = async (id: string, fail: Set<number>) => {
    const sink = memorySink<Keyed<string, number>>();
    const p = pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 3, store: memoryStore() }, restart: fixedDelayRestart({ attempts: 20, delay: 0 }), logger: quiet });
    const fast = p.from(collectionSource(range(20_000), { chunkSize: 500 }));
    // The slow input yields to the event loop for every record.
    const slow = p.from(collectionSource(range(2_000), { chunkSize: 7 })).pipe(concatMap((x: number) => new Promise<number>((resolve) => setImmediate(() => resolve(x + 1_000_000)))));
    await union(fast, slow)
      .pipe(
        map((x: number) => {
          if (fail.delete(x)) throw new Error(`injected failure at ${x}`);
          return x;
        }),
        keyBy((x) => (x >= 1_000_000 ? `slow${x % 7}` : `fast${x % 13}`)),
        count(),
      )
      .to(sink)
      .run();
    return sink.committed;
  };
  const clean = await run('union-clean', new Set());
  const faulty = await run('union-faulty', failAt);
  const finalCounts = (out: Keyed<string, number>[]) => Object.fromEntries(out.map((r) => [r.key, r.value]));
  assert.equal(finalCounts(faulty), finalCounts(clean), `seed ${seed}`);
  // Exactly once: each key's committed counts are 1, 2, 3, ... with no gap or repeat.
  const perKey = new Map<string, number[]>();
  for (const { key, value } of faulty) perKey.set(key, [...(perKey.get(key) ?? []), value]);
  for (const [key, values] of perKey) assert.equal(values, range(values.length).map((i) => i + 1), `key ${key}, seed ${seed}`);
  assert.is(faulty.length, 22_000);
});

test.run();
