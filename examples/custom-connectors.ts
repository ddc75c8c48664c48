// The smallest complete source and sink on onceflow's connector contracts
// (docs/connectors.md walks through them):
//
//   node --conditions=onceflow-source --import tsx examples/custom-connectors.ts [directory]
//
// rangeSource(count, splits) emits 0 .. count-1 from `splits` ranges, each a
// split whose position is the next number; jsonFilesSink(directory) writes each
// checkpoint's records as one JSON file, visible only once the checkpoint
// completes. Together they count exactly once, however often the job is
// stopped and started again.
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileStore, map, pipeline, staticSplitEnumerator } from 'onceflow';
import type { CommitRequest, CommittingSink, FetchResult, Source, SourceSplit, SplitAssignment, SplitReader } from 'onceflow';

/** A split of {@link rangeSource}: the numbers from `from` (inclusive) to `to` (exclusive). */
export interface RangeSplit extends SourceSplit {
  readonly from: number;
  readonly to: number;
}

/**
 * 0 .. count-1 in `splits` ranges, exactly-once. The enumerator hands the
 * ranges out one at a time, so a replay emits the same numbers in the same
 * order: deterministic.
 */
export function rangeSource(count: number, splits = 4): Source<number, 'exactly-once', 'deterministic', RangeSplit, number> {
  const size = Math.ceil(count / splits);
  const ranges: RangeSplit[] = Array.from({ length: splits }, (_, i) => ({ splitId: `range-${i}`, from: i * size, to: Math.min(count, (i + 1) * size) }));
  return {
    name: 'range',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => ranges, { oneAtATime: true }),
    createReader: () => new RangeReader(),
  };
}

class RangeReader implements SplitReader<number, RangeSplit, number> {
  // Each split's next number; the runtime gives a restored split its stored position.
  private readonly next = new Map<string, { split: RangeSplit; at: number }>();

  addSplits(assignments: readonly SplitAssignment<RangeSplit, number>[]): void {
    for (const { split, position } of assignments) this.next.set(split.splitId, { split, at: position ?? split.from });
  }

  async fetch(): Promise<FetchResult<number, number>> {
    for (const [splitId, state] of this.next) {
      const start = state.at;
      const end = Math.min(state.split.to, start + 100);
      state.at = end;
      if (end === state.split.to) this.next.delete(splitId);
      const records = Array.from({ length: end - start }, (_, i) => start + i);
      return { batches: [{ splitId, records, positionAfter: (i) => start + i + 1 }], finished: end === state.split.to ? [splitId] : [] };
    }
    return { batches: [], finished: [] };
  }

  wakeUp(): void {}

  close(): void {}
}

/** What {@link jsonFilesSink} prepares at a barrier: a hidden file, made visible by the commit. */
export interface PendingJsonFile {
  readonly pending: string;
  readonly final: string;
}

/**
 * Each checkpoint's records as one JSON file, exactly-once: written hidden at
 * the barrier, renamed into place when the checkpoint completes. Commit is
 * idempotent: a file already in place is reported as committed.
 */
export function jsonFilesSink<T>(directory: string): CommittingSink<T, 'exactly-once', 'exactly-once', false, PendingJsonFile, undefined> {
  return {
    name: 'json-files',
    guarantee: 'exactly-once',
    requires: 'exactly-once',
    deterministicOnly: false,
    kind: 'committing',
    createWriter: async () => {
      await mkdir(directory, { recursive: true });
      let records: T[] = [];
      return {
        write: (record: T) => void records.push(record),
        async prepareCommit(checkpointId: number) {
          if (records.length === 0) return [];
          const name = `${String(checkpointId).padStart(8, '0')}.json`;
          const file = { pending: join(directory, `.${name}.pending`), final: join(directory, name) };
          await writeFile(file.pending, JSON.stringify(records));
          records = [];
          return [file];
        },
        close() {},
      };
    },
    createCommitter: () => ({
      async commit(requests: readonly CommitRequest<PendingJsonFile>[]) {
        for (const request of requests) {
          const { pending, final } = request.committable;
          if (await exists(final)) request.signalAlreadyCommitted();
          else await rename(pending, final);
        }
      },
    }),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Run range -> square -> JSON files under `directory`, and read back what a reader of the files sees. */
export async function runExample(directory: string, count = 10_000): Promise<number[]> {
  await pipeline({ id: 'custom-connectors', guarantee: 'exactly-once', checkpoints: { interval: 10, store: fileStore({ directory: join(directory, 'checkpoints') }) } })
    .from(rangeSource(count))
    .pipe(map((n: number) => n * n))
    .to(jsonFilesSink<number>(join(directory, 'out')))
    .run();
  const files = (await readdir(join(directory, 'out'))).filter((name) => !name.startsWith('.')).sort();
  const contents = await Promise.all(files.map(async (name) => JSON.parse(await readFile(join(directory, 'out', name), 'utf8')) as number[]));
  return contents.flat();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const directory = process.argv[2] ?? '.onceflow/custom-connectors';
  const squares = await runExample(directory);
  console.log(`${squares.length} squares in ${directory}/out, the last ${squares.at(-1)}`);
}
