import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { CheckpointEvent } from './coordinator.js';
import { fileStore } from '../snapshot/file-store.js';
import { memoryStore } from '../snapshot/memory-store.js';
import type { SnapshotStore } from '../snapshot/store.js';
import { JobFailedError, messageOf, OnceflowError, OperatorError, ResumeWouldDuplicateError } from '../errors.js';
import { Execution } from './execution.js';
import { attributeFailure, previewRecord } from './operator-errors.js';
import type { ExecutionOutcome, JobPlan } from './execution.js';

/** Something that happened to a running job, for monitoring. */
export type JobEvent =
  | CheckpointEvent
  | { readonly type: 'restored'; readonly checkpointId: number }
  | { readonly type: 'restarting'; readonly attempt: number; readonly delayMs: number; readonly error: unknown };

/** How a job ended. */
export interface JobResult {
  /** `finished`: every source was exhausted; `drained`: {@link JobHandle.drain}; `stopped`: {@link JobHandle.stop}. */
  readonly outcome: ExecutionOutcome;
  /** Attempts run, the first included. */
  readonly attempts: number;
}

/** A running job. */
export interface JobHandle {
  /** Checkpoints completed and failed, restores and restarts; completes when the job ends. */
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
}

/** Run a job, restarting it from its latest completed checkpoint as its restart strategy allows. */
export function startJob(job: JobPlan): JobHandle {
  const { settings } = job;
  const events = new Subject<JobEvent>();
  const store: SnapshotStore = settings.checkpoints ? (settings.checkpoints.store ?? fileStore()) : memoryStore();
  let current: Execution | undefined;
  let ending: 'drain' | 'stop' | undefined;
  let wakeFromBackoff: (() => void) | undefined;
  // A function, not a narrowed variable: stop() may be called while run() awaits.
  const stopping = (): boolean => ending === 'stop';

  async function run(): Promise<JobResult> {
    settings.logger.info(`job '${settings.id}' starting; its checkpoints are kept in ${store.describe(settings.id)}`);
    const lock = await store.lock(settings.id);
    try {
      return await attempts();
    } finally {
      await lock.release().catch((error: unknown) => settings.logger.warn(`job '${settings.id}' could not release its lock: ${messageOf(error)}`));
    }
  }

  async function attempts(): Promise<JobResult> {
    let previousFailure: string | undefined;
    for (let attempt = 1, failures = 0; ; attempt++) {
      const restored = settings.checkpoints ? await latestCheckpoint() : undefined;
      if (restored) {
        events.next({ type: 'restored', checkpointId: restored.checkpointId });
        if (restored.final && attempt === 1) {
          settings.logger.warn(
            `job '${settings.id}' resumes from checkpoint ${restored.checkpointId}, taken when it last ended: its sources go on from where they stopped. To start over, delete its checkpoints and move its output away (or set checkpoints.replayCommittedOutput).`,
          );
        }
      }
      current = new Execution(job, store, restored, (event) => events.next(event));
      if (stopping()) current.stop();
      if (ending === 'drain') current.drain();
      try {
        return { outcome: await current.run(), attempts: attempt };
      } catch (caught) {
        if (stopping()) return { outcome: 'stopped', attempts: attempt };
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
        const delay = error instanceof OnceflowError && !error.retriable ? undefined : settings.restart?.nextDelay(failures);
        if (delay === undefined) {
          throw new JobFailedError(`job '${settings.id}' failed after ${attempt} attempt(s): ${reason}`, attempt, { cause: error });
        }
        settings.logger.warn(`job '${settings.id}' failed (${reason}); restarting from its latest checkpoint in ${delay} ms`);
        events.next({ type: 'restarting', attempt: attempt + 1, delayMs: delay, error });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wakeFromBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (stopping()) return { outcome: 'stopped', attempts: attempt };
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
      settings.logger.warn(`${what}: resuming from ${checkpoint ? `checkpoint ${resumeFrom}` : 'scratch'}; output written after it is written again`);
    }
    return checkpoint;
  }

  const done = run().finally(() => events.complete());
  // A caller that only uses events must not see an unhandled rejection; `done` still rejects for those who await it.
  done.catch(() => {});
  return {
    events: events.asObservable(),
    done,
    drain() {
      ending ??= 'drain';
      current?.drain();
      return done;
    },
    stop() {
      ending = 'stop';
      current?.stop();
      wakeFromBackoff?.();
      return done;
    },
  };
}
