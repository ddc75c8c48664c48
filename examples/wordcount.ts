// Word count from text files into part files, exactly-once.
//
//   npm run example                 # counts the words of examples/data/*.txt
//   npm run example -- some/dir     # or of the .txt files of another directory (or one file)
//
// Reads the text with the file source, counts each word with a keyed count, and
// writes every updated count as a `word<TAB>count` line into the rolling file
// sink under .onceflow/output/wordcount, checkpointing every 50 ms into
// .onceflow/checkpoints. Part files become visible only when the checkpoint
// covering them completes. Interrupt it (Ctrl-C or SIGTERM) and run it again:
// the first signal drains the job (a final checkpoint where the source is, its
// parts finished; a second signal stops it at once), the next run resumes from
// there, and the final counts come out the same as in a run that was never
// interrupted. ONCEFLOW_LOG=info (or debug) shows what the job does.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basePathBuckets, count, fileSource, fileStore, filter, flatMap, keyBy, map, pipeline, rollingFileSink, stderrLogger } from 'onceflow';
import type { LogLevel } from 'onceflow';

const input = process.argv[2] ?? fileURLToPath(new URL('./data/', import.meta.url));
const output = join('.onceflow', 'output', 'wordcount');

const job = pipeline({
  id: 'wordcount',
  guarantee: 'exactly-once',
  checkpoints: { interval: 50, store: fileStore({ directory: join('.onceflow', 'checkpoints') }) },
  logger: stderrLogger((process.env['ONCEFLOW_LOG'] as LogLevel | undefined) ?? 'warn'),
  // signals: true is the default: SIGTERM or Ctrl-C drains, a second one stops.
})
  .from(fileSource({ path: input, glob: '**/*.txt' }))
  .pipe(
    flatMap((line: string) => line.toLowerCase().split(/[^a-z']+/)),
    filter((word) => word.length > 0),
    keyBy((word) => word),
    count(),
    map(({ key, value }) => `${key}\t${value}`),
  )
  .to(rollingFileSink<string>({ directory: output, bucketAssigner: basePathBuckets(), partSuffix: '.tsv' }));

const result = await job.run();
if (result.outcome !== 'finished') {
  console.error(`wordcount ${result.outcome}: run it again to resume from its last checkpoint`);
} else {
  // Each line is a running count, so a word's final count is the largest one written for it.
  const counts = new Map<string, number>();
  for (const name of (await readdir(output)).filter((n) => !n.startsWith('.'))) {
    for (const line of (await readFile(join(output, name), 'utf8')).split('\n')) {
      const [word, n] = line.split('\t');
      if (word && n) counts.set(word, Math.max(counts.get(word) ?? 0, Number(n)));
    }
  }
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
  for (const [word, n] of top) console.log(`${word}\t${n}`);
  console.error(`wordcount finished: ${counts.size} distinct words, parts in ${output}`);
}
