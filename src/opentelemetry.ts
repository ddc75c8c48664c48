/**
 * `onceflow/opentelemetry`: a job's metrics through the OpenTelemetry metrics
 * API. It needs `@opentelemetry/api` (an optional peer dependency) and an SDK
 * the application configures (`@opentelemetry/sdk-metrics` with a Prometheus,
 * OTLP or console exporter); without an SDK the API records nothing.
 */
import { metrics } from '@opentelemetry/api';
import type { Attributes, BatchObservableResult, Meter } from '@opentelemetry/api';
import type { JobHandle } from './runtime/job-runner.js';

/** Options of {@link exportToOpenTelemetry}. */
export interface OpenTelemetryExportOptions {
  /** Where to record. Default: the meter `onceflow` of the global MeterProvider (`metrics.getMeter('onceflow')`). */
  readonly meter?: Meter;
}

/** A running export; {@link stop} detaches it from the meter. */
export interface OpenTelemetryExport {
  /** Stop observing the job (its last values stay with the SDK until its next collection). */
  stop(): void;
}

/**
 * Report a job's metrics to OpenTelemetry:
 *
 * - `onceflow.records.in` and `onceflow.records.out` (counters, `{record}`), per stage
 *   (attributes `onceflow.job`, `onceflow.stage`, `onceflow.stage.kind`, `onceflow.stage.name`);
 * - `onceflow.split.lag` and `onceflow.split.position` (gauges, per `onceflow.source` and
 *   `onceflow.split`; a position that is not a number is left out);
 * - `onceflow.flow_control.paused` (counter, s): time the sources spent paused by flow control;
 * - `onceflow.checkpoints` (counter, per `onceflow.checkpoint.status`: completed, failed) and `onceflow.restarts`;
 * - `onceflow.checkpoint.duration`, `.alignment`, `.store_write` (histograms, s) and `onceflow.checkpoint.size`
 *   (histogram, By), one value per completed checkpoint.
 *
 * Counters and gauges are read from `handle.metrics()` when the SDK collects, so the
 * export adds nothing per record.
 */
export function exportToOpenTelemetry(handle: JobHandle, options: OpenTelemetryExportOptions = {}): OpenTelemetryExport {
  const meter = options.meter ?? metrics.getMeter('onceflow');
  const recordsIn = meter.createObservableCounter('onceflow.records.in', { description: 'Records a stage took in', unit: '{record}' });
  const recordsOut = meter.createObservableCounter('onceflow.records.out', { description: 'Records a stage handed downstream', unit: '{record}' });
  const splitLag = meter.createObservableGauge('onceflow.split.lag', { description: 'Records between a split reader and the end of its split', unit: '{record}' });
  const splitPosition = meter.createObservableGauge('onceflow.split.position', { description: "A split reader's position (offset, sequence number)" });
  const paused = meter.createObservableCounter('onceflow.flow_control.paused', { description: 'Time the sources spent paused by flow control', unit: 's' });
  const checkpoints = meter.createObservableCounter('onceflow.checkpoints', { description: 'Checkpoints completed and failed', unit: '{checkpoint}' });
  const restarts = meter.createObservableCounter('onceflow.restarts', { description: 'Restarts after a failure', unit: '{restart}' });
  const duration = meter.createHistogram('onceflow.checkpoint.duration', { description: 'Checkpoint end-to-end duration, trigger to committed', unit: 's' });
  const alignment = meter.createHistogram('onceflow.checkpoint.alignment', { description: 'Checkpoint barrier alignment duration', unit: 's' });
  const storeWrite = meter.createHistogram('onceflow.checkpoint.store_write', { description: 'Time the snapshot store took to write a checkpoint', unit: 's' });
  const size = meter.createHistogram('onceflow.checkpoint.size', { description: 'Bytes a checkpoint took in the snapshot store', unit: 'By' });

  const observe = (result: BatchObservableResult): void => {
    const m = handle.metrics();
    const job: Attributes = { 'onceflow.job': m.jobId };
    for (const stage of m.stages) {
      const attributes = { ...job, 'onceflow.stage': stage.id, 'onceflow.stage.kind': stage.kind, 'onceflow.stage.name': stage.name };
      if (stage.recordsIn !== undefined) result.observe(recordsIn, stage.recordsIn, attributes);
      if (stage.recordsOut !== undefined) result.observe(recordsOut, stage.recordsOut, attributes);
    }
    for (const split of m.splits) {
      const attributes = { ...job, 'onceflow.source': split.sourceId, 'onceflow.split': split.splitId };
      if (split.lag !== undefined) result.observe(splitLag, split.lag, attributes);
      if (typeof split.position === 'number') result.observe(splitPosition, split.position, attributes);
    }
    result.observe(paused, m.flowControl.pausedMs / 1000, job);
    result.observe(checkpoints, m.checkpoints.completed, { ...job, 'onceflow.checkpoint.status': 'completed' });
    result.observe(checkpoints, m.checkpoints.failed, { ...job, 'onceflow.checkpoint.status': 'failed' });
    result.observe(restarts, m.restarts.length, job);
  };
  meter.addBatchObservableCallback(observe, [recordsIn, recordsOut, splitLag, splitPosition, paused, checkpoints, restarts]);

  const subscription = handle.events.subscribe((event) => {
    if (event.type !== 'checkpoint-completed') return;
    const m = handle.metrics();
    const job = { 'onceflow.job': m.jobId };
    // Alignment is measured where barriers meet in a union, and kept with the checkpoint's statistics.
    const stats = m.checkpoints.history.find((c) => c.id === event.checkpointId);
    duration.record(event.durationMs / 1000, job);
    storeWrite.record(event.storeWriteMs / 1000, job);
    size.record(event.bytes, job);
    alignment.record((stats?.alignmentMs ?? 0) / 1000, job);
  });

  return {
    stop() {
      subscription.unsubscribe();
      meter.removeBatchObservableCallback(observe, [recordsIn, recordsOut, splitLag, splitPosition, paused, checkpoints, restarts]);
    },
  };
}
