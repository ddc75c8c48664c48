import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { collectionSource, filter, memoryStore, pipeline } from 'onceflow';
import { exportToOpenTelemetry } from 'onceflow/opentelemetry';
import { memorySink } from 'onceflow/testing';

/** A reader the test collects from when it wants, as a Prometheus scrape would. */
class CollectOnDemand extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function collected(reader: MetricReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  return new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => [m.descriptor.name, m] as const)));
}

function point(metric: MetricData | undefined, attributes: Record<string, string>): number | undefined {
  const points = (metric?.dataPoints ?? []) as DataPoint<number>[];
  return points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))?.value;
}

test('a job exports records per stage, checkpoints and their histograms through the OpenTelemetry API', async () => {
  const reader = new CollectOnDemand();
  const provider = new MeterProvider({ readers: [reader] });
  const handle = pipeline({ id: 'otel', checkpoints: { interval: 2, store: memoryStore() } })
    .from(collectionSource(Array.from({ length: 5_000 }, (_, i) => i), { chunkSize: 64 }))
    .pipe(filter((x: number) => x % 2 === 0))
    .to(memorySink<number>())
    .start();
  const exported = exportToOpenTelemetry(handle, { meter: provider.getMeter('onceflow') });
  await handle.done;
  const metrics = await collected(reader);
  exported.stop();

  assert.is(point(metrics.get('onceflow.records.out'), { 'onceflow.job': 'otel', 'onceflow.stage': '0-collection', 'onceflow.stage.kind': 'source' }), 5_000);
  assert.is(point(metrics.get('onceflow.records.in'), { 'onceflow.stage': '0-filter' }), 5_000);
  assert.is(point(metrics.get('onceflow.records.out'), { 'onceflow.stage': '0-filter' }), 2_500);
  assert.is(point(metrics.get('onceflow.records.in'), { 'onceflow.stage': 'sink-memory', 'onceflow.stage.kind': 'sink' }), 2_500);
  assert.is(point(metrics.get('onceflow.split.position'), { 'onceflow.source': '0-collection' }), undefined, 'the collection split finished and left');
  assert.is(point(metrics.get('onceflow.restarts'), { 'onceflow.job': 'otel' }), 0);
  const completed = point(metrics.get('onceflow.checkpoints'), { 'onceflow.checkpoint.status': 'completed' }) ?? 0;
  assert.is(completed, handle.metrics().checkpoints.completed);
  assert.ok(completed >= 1);
  assert.is(metrics.get('onceflow.flow_control.paused')?.descriptor.unit, 's');

  const durations = metrics.get('onceflow.checkpoint.duration')?.dataPoints as DataPoint<Histogram>[] | undefined;
  assert.is(durations?.[0]?.value.count, completed, 'one duration per completed checkpoint');
  const sizes = metrics.get('onceflow.checkpoint.size')?.dataPoints as DataPoint<Histogram>[] | undefined;
  assert.ok((sizes?.[0]?.value.sum ?? 0) > 0);
  assert.ok(metrics.has('onceflow.checkpoint.store_write'));
  assert.ok(metrics.has('onceflow.checkpoint.alignment'));

  await provider.shutdown();
});

test.run();
