import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maskSecrets, messageOf, OnceflowError } from '../errors.js';
import type { JobMetricsSnapshot, StageMetrics } from './metrics.js';
import { monitorPage } from './monitor-page.js';
import type { MonitorOptions } from './settings.js';

/** The monitor could not listen where `monitor` in the pipeline options says. */
export class MonitorError extends OnceflowError {
  override readonly name = 'MonitorError';
}

/** Throughput at one moment, for the chart. */
interface Sample {
  /** ms since the epoch. */
  readonly at: number;
  /** Records per second out of all sources since the sample before. */
  readonly sourceOut: number;
  /** Records per second into the sink since the sample before. */
  readonly sinkIn: number;
}

const sampleEveryMs = 1000;
const samplesKept = 120;

/** One job on a monitor: its metrics, and counts sampled each second for rates. */
class MonitoredJob {
  readonly samples: Sample[] = [];
  private previous: { readonly at: number; readonly counts: ReadonlyMap<string, StageMetrics> } | undefined;
  private rates = new Map<string, { readonly in?: number; readonly out?: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly id: string,
    readonly snapshot: () => JobMetricsSnapshot,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Records per second in and out of stage `id` over the last sampling period. */
  rateOf(id: string): { readonly in?: number; readonly out?: number } {
    return this.rates.get(id) ?? {};
  }

  private sample(): void {
    const now = this.snapshot();
    const counts = new Map(now.stages.map((s) => [s.id, s]));
    const before = this.previous;
    this.previous = { at: now.takenAt, counts };
    if (!before || !now.recordsCounted) return;
    const seconds = Math.max(now.takenAt - before.at, 1) / 1000;
    const perSecond = (a: number | undefined, b: number | undefined): number | undefined =>
      a === undefined || b === undefined ? undefined : Math.max(0, a - b) / seconds;
    this.rates = new Map(
      now.stages.map((s) => {
        // A stage wired since the sample before had counted nothing then.
        const earlier = before.counts.get(s.id) ?? { recordsIn: 0, recordsOut: 0 };
        return [s.id, { in: perSecond(s.recordsIn, earlier.recordsIn), out: perSecond(s.recordsOut, earlier.recordsOut) }];
      }),
    );
    const total = (kind: 'source' | 'sink'): number =>
      now.stages.filter((s) => s.kind === kind).reduce((sum, s) => sum + ((kind === 'source' ? this.rateOf(s.id).out : this.rateOf(s.id).in) ?? 0), 0);
    this.samples.push({ at: now.takenAt, sourceOut: total('source'), sinkIn: total('sink') });
    if (this.samples.length > samplesKept) this.samples.shift();
  }
}

/** A monitor web server: one per host and port, shared by the jobs of a process that name the same one. */
class MonitorServer {
  readonly jobs = new Map<string, MonitoredJob>();
  readonly listening: Promise<string>;
  private readonly server: Server;

  constructor(
    private readonly key: string,
    host: string,
    port: number,
  ) {
    this.server = createServer((request, response) => this.handle(request, response));
    this.listening = new Promise<string>((resolve, reject) => {
      this.server.once('error', (error) =>
        reject(new MonitorError(`monitor could not listen on ${host}:${port} (pipeline option monitor): ${messageOf(error)}`, { cause: error })),
      );
      this.server.listen(port, host, () => {
        const address = this.server.address() as AddressInfo;
        const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve(`http://${shownHost}:${address.port}/`);
      });
    });
    // Whoever awaits `listening` sees the failure; the server itself must not crash the process.
    this.listening.catch(() => servers.delete(this.key));
  }

  async remove(jobId: string): Promise<void> {
    this.jobs.get(jobId)?.stop();
    this.jobs.delete(jobId);
    if (this.jobs.size > 0) return;
    servers.delete(this.key);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') return this.send(response, 405, { error: 'only GET' });
      const path = new URL(request.url ?? '/', 'http://monitor').pathname.replace(/\/+$/, '') || '/';
      if (path === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return void response.end(monitorPage);
      }
      if (path === '/jobs') return this.send(response, 200, { jobs: [...this.jobs.values()].map((j) => ({ id: j.id, status: j.snapshot().status })) });
      const match = /^\/jobs\/([^/]+)(?:\/(checkpoints|exceptions|metrics))?$/.exec(path);
      const job = match ? this.jobs.get(decodeURIComponent(match[1] as string)) : undefined;
      if (!match || !job) return this.send(response, 404, { error: `no such resource: ${path}` });
      const snapshot = job.snapshot();
      switch (match[2]) {
        case undefined:
          return this.send(response, 200, jobDetails(job, snapshot));
        case 'checkpoints':
          return this.send(response, 200, checkpointDetails(snapshot));
        case 'exceptions':
          return this.send(response, 200, exceptionDetails(snapshot));
        default:
          return this.send(response, 200, snapshot);
      }
    } catch (error) {
      this.send(response, 500, { error: messageOf(error) });
    }
  }

  /** Every string that leaves the process goes through {@link maskSecrets}. */
  private send(response: ServerResponse, status: number, body: unknown): void {
    const json = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'string' ? maskSecrets(value) : value));
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(json);
  }
}

const servers = new Map<string, MonitorServer>();

/** Shown as it is, a position could be a large object: the API shows its JSON, cut short. */
function shortJson(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 199)}…` : json;
}

/** `/jobs/:id`, shaped like Flink's job details (`jid`, `state`, `vertices`), plus what onceflow adds. */
function jobDetails(job: MonitoredJob, s: JobMetricsSnapshot) {
  return {
    jid: s.jobId,
    name: s.jobId,
    state: s.status,
    guarantee: s.guarantee,
    'start-time': s.startedAt,
    'end-time': s.endedAt ?? -1,
    duration: (s.endedAt ?? s.takenAt) - s.startedAt,
    now: s.takenAt,
    attempt: s.attempt,
    'records-counted': s.recordsCounted,
    vertices: s.stages.map((stage) => {
      const rate = job.rateOf(stage.id);
      return {
        id: stage.id,
        name: stage.name,
        kind: stage.kind,
        guarantee: stage.guarantee,
        metrics: {
          'read-records': stage.recordsIn ?? null,
          'write-records': stage.recordsOut ?? null,
          'read-records-per-second': rate.in ?? null,
          'write-records-per-second': rate.out ?? null,
        },
      };
    }),
    plan: { edges: s.edges.map((e) => ({ source: e.from, target: e.to, records: e.records ?? null })) },
    splits: s.splits.map((split) => ({ source: split.sourceId, split: split.splitId, position: shortJson(split.position), lag: split.lag ?? null, updated: split.updatedAt })),
    'flow-control': { paused: s.flowControl.paused, 'paused-ms': s.flowControl.pausedMs, pauses: s.flowControl.pauses },
    restarts: s.restarts.length,
    throughput: job.samples,
  };
}

/** `/jobs/:id/checkpoints`, with the fields of Flink's checkpoint statistics (newest first). */
function checkpointDetails(s: JobMetricsSnapshot) {
  const history = [...s.checkpoints.history].reverse().map((c) => ({
    id: c.id,
    status: c.status === 'in-progress' ? 'IN_PROGRESS' : c.status === 'completed' ? 'COMPLETED' : 'FAILED',
    is_final: c.final,
    trigger_timestamp: c.triggeredAt,
    end_to_end_duration: c.durationMs ?? null,
    state_size: c.bytes ?? null,
    alignment_duration: c.alignmentMs,
    store_write_duration: c.storeWriteMs ?? null,
    failure_message: c.failure ?? null,
  }));
  const latest = (status: string) => history.find((c) => c.status === status) ?? null;
  return {
    counts: {
      restored: s.checkpoints.restoredFrom === undefined ? 0 : 1,
      total: s.checkpoints.completed + s.checkpoints.failed + s.checkpoints.inProgress,
      in_progress: s.checkpoints.inProgress,
      completed: s.checkpoints.completed,
      failed: s.checkpoints.failed,
    },
    latest: { completed: latest('COMPLETED'), failed: latest('FAILED'), restored: s.checkpoints.restoredFrom === undefined ? null : { id: s.checkpoints.restoredFrom } },
    history,
  };
}

/** `/jobs/:id/exceptions`: the failures that restarted the job, newest first, as Flink's exception history. */
function exceptionDetails(s: JobMetricsSnapshot) {
  return {
    exceptionHistory: {
      entries: [...s.restarts].reverse().map((r) => ({ exceptionName: r.errorName, message: r.error, timestamp: r.at, attempt: r.attempt, restartDelay: r.delayMs })),
    },
  };
}

/**
 * Serve the monitor page and its JSON API for job `jobId` on `options.host`
 * (default 127.0.0.1) and `options.port`. `listening` resolves with the page's
 * URL, or rejects with a {@link MonitorError}; `close` takes the job off the
 * page and stops the server once no job is left on it.
 */
export function serveMonitor(
  options: MonitorOptions,
  jobId: string,
  snapshot: () => JobMetricsSnapshot,
): { readonly listening: Promise<string>; close(): Promise<void> } {
  const host = options.host ?? '127.0.0.1';
  const key = `${host}:${options.port}`;
  let server = servers.get(key);
  if (!server || options.port === 0) {
    server = new MonitorServer(key, host, options.port);
    if (options.port !== 0) servers.set(key, server);
  }
  const owner = server;
  owner.jobs.set(jobId, new MonitoredJob(jobId, snapshot));
  return {
    listening: owner.listening,
    close: () => owner.remove(jobId),
  };
}
