/**
 * Figure 2: the chain of figure 1 with checkpoints every 100 ms into the
 * filesystem store, against the same chain without checkpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from 'onceflow';
import type { BenchOptions, CheckpointTaken, Figure } from './measure.js';
import { interleaved, median, rateFigure, runIfMain } from './measure.js';
import { numbers, onceflowChain, sameSum } from './throughput.js';

export async function checkpointOverhead({ full }: BenchOptions): Promise<Figure[]> {
  const records = full ? 30_000_000 : 10_000_000;
  const input = numbers(records);
  const directory = mkdtempSync(join(tmpdir(), 'onceflow-bench-'));
  // A fresh folder per run: with the same job id and folder a run would resume from the last one's final checkpoint.
  const checkpoints = () => ({ interval: 100, store: fileStore({ directory: mkdtempSync(join(directory, 'run-')) }) });
  const taken: CheckpointTaken[] = [];
  try {
    const expected = (await onceflowChain(input)).sum;
    const { a: plain, b: checked } = await interleaved(
      5,
      () => onceflowChain(input),
      async () => {
        const run = await onceflowChain(input, checkpoints());
        sameSum(run.sum, expected);
        taken.push(...run.checkpoints);
      },
    );
    return [
      {
        figure: `2. the same chain, checkpoints every 100 ms to fileStore, vs none`,
        ...rateFigure(records, checked, plain),
        target: { op: '>=', value: 0.9 },
        details: {
          records,
          seconds: { checkpointed: checked, plain },
          checkpointsPerRun: taken.length / 6,
          checkpointMsP50: median(taken.map((t) => t.durationMs)),
        },
      },
    ];
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, checkpointOverhead);
