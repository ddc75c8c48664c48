// Options as configuration code writes them, with fields that may hold `undefined`: these must compile
// with `exactOptionalPropertyTypes` on as well as off (test/unit/type-messages.test.ts compiles this
// folder with it on).
import { fileSource, pipeline, socketSink } from 'onceflow';
import type { CheckpointOptions, FlowControlOptions, Logger, SnapshotStore } from 'onceflow';

interface Config {
  readonly checkpointInterval: number;
  readonly store: SnapshotStore | undefined;
  readonly timeout: number | undefined;
  readonly flowControl: FlowControlOptions | undefined;
  readonly logger: Logger | undefined;
  readonly acknowledgements: 'none' | 'line-count' | undefined;
}
declare const config: Config;

const checkpoints: CheckpointOptions = { interval: config.checkpointInterval, store: config.store, timeout: config.timeout };
pipeline({ id: 'configured', checkpoints, flowControl: config.flowControl, logger: config.logger })
  .from(fileSource({ path: 'in' }))
  .to(socketSink<string>({ host: '127.0.0.1', port: 9, acknowledgements: config.acknowledgements, reconnect: undefined }));
pipeline({ id: 'configured', guarantee: undefined, checkpoints: { interval: 1000, minPause: undefined } });
