// `onceflow/kinesis`: the Kinesis connectors, kept out of the main entry point so that
// `import 'onceflow'` works without @aws-sdk/client-kinesis installed (it is an optional peer).
export { kinesisSource } from './connectors/kinesis/source.js';
export type {
  KinesisEnumeratorState,
  KinesisInitialPosition,
  KinesisRecord,
  KinesisShardPosition,
  KinesisShardSplit,
  KinesisShardStart,
  KinesisSourceOptions,
} from './connectors/kinesis/source.js';
export { KinesisAccessError, KinesisRequestError, KinesisStreamNotFoundError } from './connectors/kinesis/errors.js';
export { kinesisSink } from './connectors/kinesis/sink.js';
export type { KinesisSinkOptions } from './connectors/kinesis/sink.js';
