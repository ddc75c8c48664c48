// Word count with exactly-once checkpoints.
//
//   npm run example
//
// Counts the words of a text with a keyed count, checkpointing every 50 ms into
// .onceflow/checkpoints. Interrupt it (Ctrl-C) and run it again: it resumes from
// its last checkpoint instead of starting over.
import { collectionSource, count, filter, flatMap, keyBy, fileStore, map, pipeline, stdoutSink } from 'onceflow';

const text = `
It was the best of times, it was the worst of times, it was the age of wisdom,
it was the age of foolishness, it was the epoch of belief, it was the epoch of
incredulity, it was the season of Light, it was the season of Darkness
`;

const job = pipeline({
  id: 'wordcount',
  guarantee: 'at-least-once',
  checkpoints: { interval: 50, store: fileStore({ directory: '.onceflow/checkpoints' }) },
})
  .from(collectionSource(text.split('\n')))
  .pipe(
    flatMap((line: string) => line.toLowerCase().split(/[^a-z]+/)),
    filter((word) => word.length > 0),
    keyBy((word) => word),
    count(),
    map(({ key, value }) => `${key}\t${value}`),
  )
  .to(stdoutSink());

const handle = job.start();
process.once('SIGINT', () => void handle.stop());
const result = await handle.done;
console.error(`wordcount ${result.outcome} after ${result.attempts} attempt(s)`);
