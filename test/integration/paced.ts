// Numbers that flow at a bounded rate, for tests that must act (kill a process, stop a server)
// while records still flow: a bounded source read at full speed would be done before. And what
// the SIGKILL tests' child processes share.
import { collectionSource, concatMap, fileStore } from 'onceflow';
import type { Guarantee, Job } from 'onceflow';

/**
 * 0 .. total-1 in chunks of `perPause`, with a pause of `pauseMs` before each chunk goes on:
 * at most `perPause / pauseMs` records a ms. `flowControl` holds the source back behind the
 * pauses (a few chunks in flight), so checkpoints fall between chunks and the end is not read
 * early; the pause keeps replay deterministic.
 */
export function pacedNumbers(total: number, perPause: number, pauseMs: number) {
  return {
    source: collectionSource(
      Array.from({ length: total }, (_, n) => n),
      { chunkSize: perPause },
    ),
    pace: concatMap(async (n: number) => (n % perPause === 0 ? new Promise<number>((resolve) => setTimeout(() => resolve(n), pauseMs)) : n), { deterministic: true }),
    flowControl: { highWaterMark: 2000, lowWaterMark: 1000 },
  };
}

/**
 * The numbers a SIGKILL test's child process reads: `total` of them at most 10 000 a second.
 * A killed run keeps what its last checkpoint covered, and it is killed after up to 2
 * checkpoints. Against Cassandra's write-ahead sink a checkpoint takes ~400 ms and the default
 * minPause adds up to the interval again, so the second barrier comes ~600 ms after the first
 * records: at 25 000 a second four runs used 50 000 numbers up and the fifth ended before its
 * kill (seen in CI). At 10 000 a second five such runs use about 30 000.
 */
export function killedJobNumbers(total: number) {
  return pacedNumbers(total, 250, 25);
}

/**
 * Settings of a job that a SIGKILL test runs in a child process: checkpoints every 100 ms into
 * a file store in `directory` (what the next run restores), the paced numbers' flow control.
 */
export function killedJobSettings(id: string, directory: string, paced: ReturnType<typeof pacedNumbers>) {
  return {
    id,
    checkpoints: { interval: 100, store: fileStore({ directory }) },
    flowControl: paced.flowControl,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    signals: false,
  } as const;
}

/** Run `job`, printing `checkpoint <id>` for each completed checkpoint (the test kills on them); resolves with how it ended. */
export async function runPrintingCheckpoints(job: Job<Guarantee>): Promise<string> {
  const handle = job.start();
  handle.events.subscribe((e) => {
    if (e.type === 'checkpoint-completed') process.stdout.write(`checkpoint ${e.checkpointId}\n`);
  });
  return (await handle.done).outcome;
}
