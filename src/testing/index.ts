// `onceflow/testing`: helpers for testing pipelines and operators.
export { marbles, barrier, BARRIER_MARBLE } from './marbles.js';
export type { MarbleTools } from './marbles.js';
export { applyOperator } from './operator-harness.js';
export type { AppliedOperator } from './operator-harness.js';
export { memorySink } from './memory-sink.js';
export type { MemorySink, MemoryTransaction } from './memory-sink.js';
export { startSource, readSource } from './source-harness.js';
export type { RunningSource, StartSourceOptions, SourceRead, SourceCheckpoint } from './source-harness.js';
export { commitWith } from './commit.js';
export type { CommitSummary } from './commit.js';
export { sourceTestCases, sinkTestCases } from './connector-kit.js';
export type { ConnectorTestCase, SourceTestContext, SinkTestContext, ConnectorKitOptions } from './connector-kit.js';
export { collectingSink } from './collecting-sink.js';
export type { CollectingSink, CollectingSinkOptions } from './collecting-sink.js';
