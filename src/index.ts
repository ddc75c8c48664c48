// The public surface. Everything not exported here is internal.

// Guarantee types and the pipeline DSL
export type { Guarantee, Weakest, Satisfies, Replay, BothReplay, GuaranteeViolation } from './contracts/guarantee.js';
export { guarantees, weakest, satisfies } from './contracts/guarantee.js';
export { pipeline, Pipeline } from './dsl/pipeline.js';
export type { NeededBy, Checkpointed, SourceGuarantee, SourceCheck } from './dsl/pipeline.js';
export { Stream } from './dsl/stream.js';
export type { EndToEnd, SinkCheck } from './dsl/stream.js';
export { union } from './dsl/union.js';
export { Job } from './dsl/job.js';
export type { PipelineOptions, CheckpointOptions, FlowControlOptions, Logger } from './runtime/settings.js';

// Stream elements and the contracts of operators, sources and sinks
export { Marker, Watermark } from './contracts/element.js';
export type { Flow } from './contracts/element.js';
export { defineOperator, operatorInfo } from './contracts/operator.js';
export type { Operator, OperatorContext, OperatorInfo } from './contracts/operator.js';
export type { Source, SourceReader, SourceOutput, SourceReaderContext } from './contracts/source.js';
export type { Sink, SinkWriter, SinkWriterContext, Committer } from './contracts/sink.js';

// Operators
export { map } from './operators/map.js';
export { filter } from './operators/filter.js';
export { flatMap } from './operators/flatMap.js';
export { concatMap } from './operators/concatMap.js';
export { keyBy } from './operators/keyBy.js';
export type { Key, Keyed } from './operators/keyBy.js';
export { reduce } from './operators/reduce.js';
export { count } from './operators/count.js';
export { countWindow } from './operators/countWindow.js';
export { timeWindow } from './operators/timeWindow.js';
export type { TimeWindow, TimeWindowOptions } from './operators/timeWindow.js';
export { dedupe } from './operators/dedupe.js';
export type { DedupeOptions } from './operators/dedupe.js';
export { rx, StatelessClaimError } from './operators/rx.js';
export type { RxClaim } from './operators/rx.js';

// Checkpoints: barriers, state, stores, restarts
export { CheckpointBarrier } from './contracts/barrier.js';
export { StateRegistry } from './snapshot/state.js';
export type { OperatorSnapshot } from './snapshot/state.js';
export type { ValueState, OperatorState } from './contracts/state.js';
export type { CheckpointEvent } from './runtime/coordinator.js';
export type { Checkpoint, SinkSnapshot, SnapshotStore, SnapshotCodec, LatestCheckpoint, JobLock } from './snapshot/store.js';
export { memoryStore } from './snapshot/memory-store.js';
export type { MemoryStoreOptions } from './snapshot/memory-store.js';
export { fileStore } from './snapshot/file-store.js';
export type { FileStoreOptions } from './snapshot/file-store.js';
export { redisStore } from './snapshot/redis-store.js';
export type { RedisStoreOptions } from './snapshot/redis-store.js';
export { jsonCodec, structuredCloneCodec } from './snapshot/codec.js';
export { noRestart, fixedDelayRestart, exponentialBackoffRestart } from './contracts/restart.js';
export type { RestartStrategy } from './contracts/restart.js';

// Running jobs
export type { JobHandle, JobResult, JobEvent } from './runtime/job-runner.js';

// Connectors
export { collectionSource } from './connectors/collection/source.js';
export type { CollectionSourceOptions } from './connectors/collection/source.js';
export { stdoutSink } from './connectors/stdout/sink.js';
export type { StdoutSinkOptions } from './connectors/stdout/sink.js';
export { fileSource } from './connectors/file/source.js';
export type { FileSourceOptions, FilePosition, FileCursor } from './connectors/file/source.js';
export { fileSink } from './connectors/file/sink.js';
export type { FileSinkOptions } from './connectors/file/sink.js';
export { textLines, jsonLines } from './connectors/shared/decoders.js';
export type { RecordDecoder, TextLinesOptions } from './connectors/shared/decoders.js';
export { FileReadError, FileWriteError, FileChangedError } from './connectors/file/errors.js';
export { MalformedRecordError } from './connectors/shared/errors.js';
export { rollingFileSink } from './connectors/rolling-file/sink.js';
export type { RollingFileSinkOptions, RollingFileWriterState, InProgressPartFile } from './connectors/rolling-file/sink.js';
export type { PendingPartFile } from './connectors/rolling-file/committer.js';
export { dateTimeBuckets, keyBuckets, basePathBuckets } from './connectors/rolling-file/bucket-assigner.js';
export type { BucketAssigner, DateTimeBucketsOptions } from './connectors/rolling-file/bucket-assigner.js';
export { defaultRollingPolicy } from './connectors/rolling-file/rolling-policy.js';
export type { RollingPolicy, PartFileInfo, DefaultRollingPolicyOptions } from './connectors/rolling-file/rolling-policy.js';
export type { RollingFileBackend, PartFileWriter } from './connectors/rolling-file/backend.js';
export { localBackend } from './connectors/rolling-file/local-backend.js';
export type { LocalBackendOptions } from './connectors/rolling-file/local-backend.js';
export { webhdfsBackend } from './connectors/rolling-file/webhdfs-backend.js';
export type { WebHdfsBackendOptions } from './connectors/rolling-file/webhdfs-backend.js';
export { RollingFileError, MissingPartFileError } from './connectors/rolling-file/errors.js';
export { socketSource } from './connectors/socket/source.js';
export type { SocketSourceOptions, SocketPosition } from './connectors/socket/source.js';
export { socketSink } from './connectors/socket/sink.js';
export type { SocketSinkOptions } from './connectors/socket/sink.js';
export type { ReconnectOptions } from './connectors/shared/reconnect.js';
export { SocketConnectError } from './connectors/socket/errors.js';

// Errors
export { OnceflowError, ConfigurationError, CheckpointFailedError, CorruptCheckpointError, JobFailedError, StoreUnresponsiveError, JobLockedError, ResumeWouldDuplicateError, OperatorError } from './errors.js';
