// The public surface. Everything not exported here is internal.

// Guarantee types and the pipeline DSL
export type { Guarantee, Gives, Needs, IsAny, Nondeterministic, ReplayGiven, ReplayCause, Weakest, Satisfies, Replay, BothReplay, GuaranteeViolation } from './contracts/guarantee.js';
export { guarantees, weakest, satisfies, nondeterministic } from './contracts/guarantee.js';
export { pipeline, Pipeline } from './dsl/pipeline.js';
export type { NeededBy, Checkpointed, SourceGuarantee, SourceCheck, KnownOptionsOnly, UnknownOption } from './dsl/pipeline.js';
export { Stream } from './dsl/stream.js';
export type { EndToEnd, SinkCheck, OperatorsReplay, OnlyForDeterministic } from './dsl/stream.js';
export { union } from './dsl/union.js';
export { Job } from './dsl/job.js';
export type { PipelineOptions, CheckpointOptions, FlowControlOptions, MetricsOptions, MonitorOptions } from './runtime/settings.js';
export type { Logger, LogMethod, LogFields } from './contracts/logger.js';
export { stderrLogger } from './runtime/stderr-logger.js';
export type { LogLevel } from './runtime/stderr-logger.js';

// Stream elements and the contracts of operators, sources and sinks
export { Marker, Watermark } from './contracts/element.js';
export type { Flow } from './contracts/element.js';
export { defineOperator, operatorInfo } from './contracts/operator.js';
export type { Operator, OperatorContext, OperatorInfo } from './contracts/operator.js';
export type {
  Source,
  SourceSplit,
  SplitAssignment,
  SplitEnumerator,
  SplitEnumeratorContext,
  SplitEnumeratorInit,
  SplitReader,
  SplitReaderInit,
  RecordBatch,
  FetchResult,
} from './contracts/source.js';
export { staticSplitEnumerator } from './connectors/shared/enumerators.js';
export type { StaticEnumeratorState, StaticEnumeratorOptions } from './connectors/shared/enumerators.js';
export type { Sink, FlushingSink, CommittingSink, SinkWriter, CommittingSinkWriter, SinkWriterContext, Committer, CommitRequest } from './contracts/sink.js';

// Operators
export { map } from './operators/map.js';
export { filter } from './operators/filter.js';
export { flatMap } from './operators/flatMap.js';
export { concatMap } from './operators/concatMap.js';
export type { ConcatMapOptions } from './operators/concatMap.js';
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
export { uid } from './operators/uid.js';
export type { RxClaim, RxClaimCheck, RxOperator, Weakened } from './operators/rx.js';

// Checkpoints: barriers, state, stores, restarts
export { CheckpointBarrier } from './contracts/barrier.js';
export { StateRegistry } from './snapshot/state.js';
export type { OperatorSnapshot } from './snapshot/state.js';
export type { ValueState, OperatorState, KeyedListState, KeyedMapState } from './contracts/state.js';
export type { CheckpointEvent } from './runtime/coordinator.js';
export type { Checkpoint, SinkSnapshot, SnapshotStore, SnapshotCodec, LatestCheckpoint, JobLock } from './snapshot/store.js';
export { memoryStore } from './snapshot/memory-store.js';
export type { MemoryStoreOptions } from './snapshot/memory-store.js';
export { fileStore } from './snapshot/file-store.js';
export type { FileStoreOptions } from './snapshot/file-store.js';
export { jsonCodec, structuredCloneCodec } from './snapshot/codec.js';
export { noRestart, fixedDelayRestart, exponentialBackoffRestart } from './contracts/restart.js';
export type { RestartStrategy } from './contracts/restart.js';

// Running jobs
export type { JobHandle, JobResult, JobEvent } from './runtime/job-runner.js';
export type {
  JobMetricsSnapshot,
  JobStatus,
  StageKind,
  StageMetrics,
  EdgeMetrics,
  SplitMetrics,
  CheckpointStats,
  RestartStats,
} from './runtime/metrics.js';
export type { SplitMetricsReporter } from './contracts/metrics.js';
export { MonitorError } from './runtime/monitor.js';
export { maskSecrets } from './errors.js';

// Connectors
export { collectionSource } from './connectors/collection/source.js';
export type { CollectionSourceOptions, CollectionSplit } from './connectors/collection/source.js';
export { stdoutSink } from './connectors/stdout/sink.js';
export type { StdoutSinkOptions } from './connectors/stdout/sink.js';
export { fileSource } from './connectors/file/source.js';
export type { FileSourceOptions, FilePosition, FileSplit, FileEnumeratorState, FileIdentity } from './connectors/file/source.js';
export { fileSink } from './connectors/file/sink.js';
export type { FileSinkOptions } from './connectors/file/sink.js';
export { textLines, jsonLines } from './connectors/shared/decoders.js';
export type { RecordDecoder, TextLinesOptions } from './connectors/shared/decoders.js';
export { FileReadError, FileWriteError, FileChangedError } from './connectors/file/errors.js';
export { LineTooLongError, MalformedRecordError } from './connectors/shared/errors.js';
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
export type { SocketSourceOptions, SocketPosition, SocketSplit } from './connectors/socket/source.js';
export { socketSink } from './connectors/socket/sink.js';
export type { SocketSinkOptions } from './connectors/socket/sink.js';
export type { ReconnectOptions } from './connectors/shared/reconnect.js';
export { SocketConnectError, SocketProtocolError, SocketAcknowledgementTimeoutError } from './connectors/socket/errors.js';
export type { LineCountViolation } from './connectors/socket/errors.js';

// Errors
export {
  OnceflowError,
  ConfigurationError,
  CheckpointFailedError,
  CommitFailedError,
  CorruptCheckpointError,
  JobFailedError,
  StoreUnresponsiveError,
  JobLockedError,
  ResumeWouldDuplicateError,
  OperatorError,
  isRetriable,
} from './errors.js';

// Shared connector pieces, for writing connectors
export { BatchingSinkWriter, BatchWriteError } from './connectors/shared/batching-writer.js';
export type { BatchingWriterOptions, RejectedEntry } from './connectors/shared/batching-writer.js';
