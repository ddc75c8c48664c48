import type { Logger } from '../contracts/logger.js';

/** A running job as the signal handler sees it. */
export interface SignalTarget {
  readonly jobId: string;
  readonly logger: Logger;
  drain(): void;
  stop(): void;
}

const signals = ['SIGTERM', 'SIGINT'] as const;
type HandledSignal = (typeof signals)[number];

// One handler per process for all running jobs, not one per job: a process running
// many jobs must not hit Node's listener limit, and one signal is one request.
const running = new Map<SignalTarget, { draining: boolean }>();

function onSignal(signal: HandledSignal): void {
  for (const [target, state] of running) {
    if (!state.draining) {
      state.draining = true;
      target.logger.info({ jobId: target.jobId, signal }, `${signal} received: draining the job (a final checkpoint where the sources are); send it again to stop at once`);
      target.drain();
    } else {
      target.logger.info({ jobId: target.jobId, signal }, `${signal} received again: stopping the job without a final checkpoint`);
      // Let a third signal reach Node's default handler, in case stopping hangs.
      running.delete(target);
      target.stop();
    }
  }
  if (running.size === 0) removeHandlers();
}

function removeHandlers(): void {
  for (const signal of signals) process.off(signal, onSignal);
}

/**
 * Drain `target` on the first SIGTERM or SIGINT and stop it on the second,
 * until the returned function is called (when the job ends).
 */
export function handleSignals(target: SignalTarget): () => void {
  if (running.size === 0) for (const signal of signals) process.on(signal, onSignal);
  running.set(target, { draining: false });
  return () => {
    if (running.delete(target) && running.size === 0) removeHandlers();
  };
}
