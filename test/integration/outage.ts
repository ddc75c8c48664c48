// For outage tests: stop a server the harness started, keeping its data, under a running job,
// and start it again on that data (`stopKeepingData` and `startAgain` of the harness). Only the
// harness's own server can be stopped: one given by the user (its variable pointing elsewhere)
// fails the test, saying so.
import * as assert from 'uvu/assert';
import { exponentialBackoffRestart, memoryStore } from 'onceflow';
import type { JobHandle } from 'onceflow';
import { stopKeepingData } from '../../services/index.js';
import { envVars } from '../../services/env.js';
import type { ServiceName } from '../../services/env.js';
import { readRecord } from '../../services/lib.js';

const quiet = (): void => {};

/**
 * Stop the harness's `name` server, wait `downFor` ms, and start it again on its data
 * (always, also when the wait is interrupted); resolves once it answers.
 */
export async function restartServer(name: ServiceName, downFor: number): Promise<void> {
  const variable = envVars[name];
  const record = readRecord(name);
  if (record && record.address !== process.env[variable]) {
    throw new Error(`the outage test stops the harness's ${name}, at ${record.address}, but ${variable}=${process.env[variable]} points the test elsewhere`);
  }
  const stopped = await stopKeepingData(name, quiet);
  try {
    await new Promise((resolve) => setTimeout(resolve, downFor));
  } finally {
    await stopped.startAgain(quiet);
  }
}

/** What an outage test's job is run with: checkpoints in memory, and restarts enough to outlast the server's restart. */
export function outageSettings(id: string) {
  return {
    id,
    checkpoints: { interval: 100, store: memoryStore() },
    restart: exponentialBackoffRestart({ initialDelay: 200, maxDelay: 2000, maxAttempts: 200 }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    signals: false,
  } as const;
}

/** Options of {@link throughOutage}. */
export interface OutageOptions {
  readonly server: ServiceName;
  /** The running job, writing the numbers 0 .. total-1. */
  readonly handle: JobHandle;
  readonly total: number;
  /** The numbers the server holds now. */
  readonly written: () => Promise<Set<number>>;
}

/**
 * Once the job has written some numbers, restart the server under it; then the job must finish,
 * having restarted from its latest checkpoint (the sink's retries run out first), with every
 * number on the server: at-least-once across the outage.
 */
export async function throughOutage({ server, handle, total, written }: OutageOptions): Promise<void> {
  const restarts: number[] = [];
  handle.events.subscribe((e) => void (e.type === 'restarting' && restarts.push(e.attempt)));
  let ended = false;
  void handle.done.finally(() => (ended = true));
  while ((await written()).size < total / 8) await new Promise((resolve) => setTimeout(resolve, 50));
  await restartServer(server, 2000);
  assert.not.ok(ended, 'the job was still running when the server came back');
  const { outcome } = await handle.done;
  assert.is(outcome, 'finished');
  assert.ok(restarts.length > 0, 'the job restarted from its latest checkpoint');
  const found = await written();
  const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !found.has(n));
  assert.equal(missing.slice(0, 10), [], `every record is there (${missing.length} missing)`);
}
