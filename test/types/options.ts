// Pipeline options: a misspelled key is a compile error naming it, at the top level and in the
// checkpoints and flowControl objects. The text after each expect-error directive is part of the message.
import { fileStore, pipeline } from 'onceflow';
import type { CheckpointOptions, PipelineOptions } from 'onceflow';

// @ts-expect-error 'checkpoint' is not a pipeline option (id, guarantee, checkpoints, restart, flowControl, logger)
pipeline({ id: 'types', guarantee: 'at-most-once', checkpoint: { interval: 1000 } });
// @ts-expect-error 'intervall' is not a checkpoints option (interval, store, minPause, timeout, maxConcurrent, tolerableFailures)
pipeline({ id: 'types', checkpoints: { interval: 1000, intervall: 10 } });
// @ts-expect-error 'highWatermark' does not exist in type 'FlowControlOptions'. Did you mean to write 'highWaterMark'?
pipeline({ id: 'types', flowControl: { highWatermark: 10 } });
// Options built apart are checked as well.
const spelledWrong = { id: 'types', checkpoints: { interval: 1000 }, restartStrategy: undefined };
// @ts-expect-error 'restartStrategy' is not a pipeline option
pipeline(spelledWrong);

// Every known option compiles.
const all = {
  id: 'types',
  guarantee: 'exactly-once',
  checkpoints: { interval: 1000, store: fileStore(), minPause: 10, timeout: 60_000, maxConcurrent: 1, tolerableFailures: 3 },
  flowControl: { highWaterMark: 100, lowWaterMark: 10 },
  logger: console,
} as const;
pipeline(all);
declare const typed: PipelineOptions;
pipeline(typed);
declare const checkpoints: CheckpointOptions;
pipeline({ id: 'types', checkpoints });
// A flowControl object built apart gets the sentence.
const flowControl = { highWaterMark: 100, lowWatermark: 10 };
// @ts-expect-error 'lowWatermark' is not a flowControl option (highWaterMark, lowWaterMark)
pipeline({ id: 'types', flowControl });
