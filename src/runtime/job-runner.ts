import { Subject } from '../contracts/rxjs.js';
import type { Observable } from 'rxjs';
import type { CheckpointEvent } from './coordinator.js';
import { fileStore } from '../snapshot/file-store.js';
import { memoryStore } from '../snapshot/memory-store.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { isRetriable, JobFailedError, messageOf, OnceflowError, OperatorError, ResumeWouldDuplicateError } from '../errors.js';
import { Execution } from './execution.js';
import { attributeFailure, previewRecord } from './operator-errors.js';
import type { ExecutionOutcome, JobPlan } from './execution.js';
import { handleSignals } from './signals.js';
import { instrumentPlan, JobMetrics } from './metrics.js';
import type { JobMetricsSnapshot } from './metrics.js';
import { serveMonitor } from './monitor.js';

/** Something that happened to a running job, for monitoring. */
export type JobEvent =
  | CheckpointEvent
  | { readonly type: 'restored'; readonly checkpointId: number }
  | { readonly type: 'restarting'; readonly attempt: number; readonly delayMs: number; readonly error: unknown }
  /** Every `metrics.interval` ms, when set. */
  | { readonly type: 'metrics'; readonly metrics: JobMetricsSnapshot };

/** How a job ended. */
export interface JobResult {
  /** `finished`: every source was exhausted; `drained`: {@link JobHandle.drain}; `stopped`: {@link JobHandle.stop}. */
  readonly outcome: ExecutionOutcome;
  /** Attempts run, the first included. */
  readonly attempts: number;
}

/** A running job. */
export interface JobHandle {
  /** Checkpoints triggered, completed and failed, restores, restarts and (with `metrics.interval`) metrics; completes when the job ends. */
  readonly events: Observable<JobEvent>;
  /**
   * Settles when the job ends: with its result, or a {@link JobFailedError} once restarts are used up, or the
   * error that kept it from starting (`JobLockedError`: another runner has it; `ResumeWouldDuplicateError`).
   */
  readonly done: Promise<JobResult>;
  /** Stop reading, take a final checkpoint where the sources are, commit it, and end. Resolves with {@link done}. */
  drain(): Promise<JobResult>;
  /** End now without a final checkpoint; uncommitted writes are aborted by the next run. Resolves with {@link done}. */
  stop(): Promise<JobResult>;
  /** Records in and out per stage, split positions, flow-control pauses, checkpoint history and restarts, as of now. */
  metrics(): JobMetricsSnapshot;
  /** Where the monitor page is (`http://127.0.0.1:8081/`) once it listens; undefined without `monitor`. */
  readonly monitorUrl: Promise<string | undefined>;
}

/** Run a job, restarting it from its latest completed checkpoint as its restart strategy allows. */
export function startJob(job: JobPlan): JobHandle {
  const { settings } = job;
  const { logger } = settings;
  const jobId = settings.id;
  const events = new Subject<JobEvent>();
  const metrics = new JobMetrics(settings.id, settings.guarantee, settings.metrics.records ?? true);
  const instrumented: JobPlan = { ...job, plan: instrumentPlan(job.plan, job.sink, metrics) };
  const monitor = settings.monitor ? serveMonitor(settings.monitor, settings.id, () => metrics.snapshot()) : undefined;
  const metricsTimer =
    settings.metrics.interval === undefined ? undefined : setInterval(() => events.next({ type: 'metrics', metrics: metrics.snapshot() }), settings.metrics.interval);
  metricsTimer?.unref();
  const store: SnapshotStore = settings.checkpoints ? (settings.checkpoints.store ?? fileStore()) : memoryStore();
  const onEvent = (event: CheckpointEvent): void => {
    if (event.type === 'checkpoint-completed') {
      logger.debug({ jobId, checkpointId: event.checkpointId, durationMs: event.durationMs, bytes: event.bytes, final: event.final }, 'checkpoint completed');
    } else if (event.type === 'checkpoint-failed') {
      logger.warn({ jobId, checkpointId: event.checkpointId, err: event.error }, 'checkpoint discarded');
    }
    events.next(event);
  };
  let current: Execution | undefined;
  let ending: 'drain' | 'stop' | undefined;
  let wakeFromBackoff: (() => void) | undefined;
  // A function, not a narrowed variable: stop() may be called while run() awaits.
  const stopping = (): boolean => ending === 'stop';

  async function run(): Promise<JobResult> {
    logger.info(
      { jobId, guarantee: settings.guarantee, checkpointInterval: settings.checkpoints?.interval, store: settings.checkpoints ? store.describe(jobId) : undefined },
      `job '${jobId}' starting; its checkpoints are kept in ${store.describe(jobId)}`,
    );
    // A monitor that cannot listen fails the job before it reads anything: the user asked to watch it.
    await monitor?.listening;
    const lock = await store.lock(jobId);
    try {
      return await attempts();
    } finally {
      await lock.release().catch((error: unknown) => logger.warn({ jobId, err: error }, `job '${jobId}' could not release its lock`));
    }
  }

  async function attempts(): Promise<JobResult> {
    let previousFailure: string | undefined;
    for (let attempt = 1, failures = 0; ; attempt++) {
      const restored = settings.checkpoints ? await latestCheckpoint() : undefined;
      if (restored) {
        logger.info({ jobId, attempt, checkpointId: restored.checkpointId, store: store.describe(jobId) }, `restoring from checkpoint ${restored.checkpointId}`);
        events.next({ type: 'restored', checkpointId: restored.checkpointId });
        if (restored.final && attempt === 1) {
          logger.warn(
            { jobId, checkpointId: restored.checkpointId, store: store.describe(jobId) },
            `job '${jobId}' resumes from checkpoint ${restored.checkpointId}, taken when it last ended: its sources go on from where they stopped. To start over, delete its checkpoints and move its output away (or set checkpoints.replayCommittedOutput).`,
          );
        }
      } else if (settings.checkpoints) {
        logger.info({ jobId, attempt, store: store.describe(jobId) }, 'no checkpoint to restore: starting from the beginning of the sources');
      }
      metrics.attemptStarted(attempt, restored?.checkpointId);
      current = new Execution(
        instrumented,
        store,
        restored,
        (event) => {
          metrics.checkpoint(event);
          onEvent(event);
        },
        metrics,
      );
      if (stopping()) current.stop();
      if (ending === 'drain') current.drain();
      try {
        const outcome = await current.run();
        metrics.attemptEnded();
        metrics.ended(outcome);
        return { outcome, attempts: attempt };
      } catch (caught) {
        metrics.attemptEnded();
        if (stopping()) {
          metrics.ended('stopped');
          return { outcome: 'stopped', attempts: attempt };
        }
        const error = attributeFailure(caught);
        failures++;
        const reason = messageOf(error);
        const place = failurePlace(error);
        if (place !== undefined && place === previousFailure) {
          throw new JobFailedError(
            `job '${settings.id}' fails deterministically: the same failure at the same place after a restart, so restarting again would fail the same way; ` +
              `fix the operator or the record, then start the job again (it resumes from its latest checkpoint): ${reason}`,
            attempt,
            { cause: error },
          );
        }
        previousFailure = place;
        const delay = isRetriable(error) ? settings.restart?.nextDelay(failures) : undefined;
        if (delay === undefined) {
          metrics.ended('failed');
          logger.error({ jobId, attempt, err: error }, `job failed after ${attempt} attempt(s); no restart left`);
          throw new JobFailedError(`job '${jobId}' failed after ${attempt} attempt(s): ${reason}`, attempt, { cause: error });
        }
        logger.warn({ jobId, attempt: attempt + 1, delayMs: delay, err: error }, `job '${jobId}' failed; restarting from its latest checkpoint in ${delay} ms`);
        metrics.restarting(attempt + 1, delay, error);
        events.next({ type: 'restarting', attempt: attempt + 1, delayMs: delay, error });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wakeFromBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (stopping()) {
          metrics.ended('stopped');
          return { outcome: 'stopped', attempts: attempt };
        }
      }
    }
  }

  /**
   * Where an attempt failed, as far as it can tell: the operator, the record
   * and the error. `undefined` for failures without a place, and for ones
   * their cause marks retriable (a connection lost: the same record may pass
   * next time).
   */
  function failurePlace(error: unknown): string | undefined {
    if (!(error instanceof OperatorError)) return undefined;
    if (error.cause instanceof OnceflowError && error.cause.retriable) return undefined;
    return [error.operatorId, error.recordPreview, previewRecord(error.position), messageOf(error.cause)].join('\n');
  }

  async function latestCheckpoint() {
    const { checkpoint, corrupt, newestSaved = 0 } = await store.latest(settings.id);
    for (const error of corrupt) logger.warn({ jobId, location: error.location, err: error }, 'corrupt checkpoint: falling back to the checkpoint before it');
    const resumeFrom = checkpoint?.checkpointId ?? 0;
    const newest = Math.max(newestSaved, resumeFrom);
    if (newest > resumeFrom || corrupt.length > 0) {
      const what =
        `the newest checkpoint of job '${settings.id}' saved in ${store.describe(settings.id)}, ${newest}, ` +
        (corrupt.length > 0 ? `is unreadable (${corrupt.map((e) => e.message).join('; ')})` : 'is gone') +
        `, and ${checkpoint ? `the newest readable one is ${resumeFrom}` : 'no readable checkpoint is left'}`;
      // An at-least-once sink may write output again; an exactly-once one must not, silently.
      if (job.sink.guarantee === 'exactly-once' && !settings.checkpoints?.replayCommittedOutput) {
        throw new ResumeWouldDuplicateError(
          `cannot resume exactly-once: ${what}. Its sink may have committed the output of checkpoints after ${resumeFrom}, ` +
            `and resuming ${checkpoint ? `from ${resumeFrom}` : 'from scratch'} would write that output again. ` +
            `Either bring checkpoint ${newest} back (from a backup), or start over knowingly: remove the job's output and checkpoints, ` +
            `or set checkpoints.replayCommittedOutput: true to resume and accept that output committed after checkpoint ${resumeFrom} is written again.`,
          newest,
          resumeFrom,
        );
      }
      logger.warn({ jobId, checkpointId: resumeFrom, newest }, `${what}: resuming from ${checkpoint ? `checkpoint ${resumeFrom}` : 'scratch'}; output written after it is written again`);
    }
    return checkpoint;
  }

  const drain = (): Promise<JobResult> => {
    if (ending === undefined) logger.info({ jobId }, 'draining: a final checkpoint where the sources are, then the job ends');
    ending ??= 'drain';
    current?.drain();
    return done;
  };
  const stop = (): Promise<JobResult> => {
    if (ending !== 'stop') logger.info({ jobId }, 'stopping without a final checkpoint');
    ending = 'stop';
    current?.stop();
    wakeFromBackoff?.();
    return done;
  };
  const unhandleSignals = settings.signals ? handleSignals({ jobId, logger, drain: () => void drain(), stop: () => void stop() }) : () => {};
  const done = run()
    .catch((error: unknown) => {
      // The monitor failed to listen, or the store to load: still a failed job on the page and in metrics().
      metrics.ended('failed');
      throw error;
    })
    .then((result) => {
      logger.info({ jobId, outcome: result.outcome, attempts: result.attempts }, `job ended: ${result.outcome}`);
      return result;
    })
    .finally(async () => {
      unhandleSignals();
      clearInterval(metricsTimer);
      await monitor?.close();
      events.complete();
    });
  // A caller that only uses events must not see an unhandled rejection; `done` still rejects for those who await it.
  done.catch(() => {});
  return {
    events: events.asObservable(),
    done,
    drain,
    stop,
    metrics: () => metrics.snapshot(),
    monitorUrl: monitor ? monitor.listening : Promise.resolve(undefined),
  };
}
