// For outage tests: stop a server the harness started, and start it again with the harness's
// own `up`, under a running job. The new server starts from an empty data dir (the harness wipes it at every start),
// so a test recreates what it needs on it. Only the harness's own server can be stopped: one
// given by the user (its variable pointing elsewhere) fails the test, saying so.
import * as assert from 'uvu/assert';
import { exponentialBackoffRestart, memoryStore } from 'onceflow';
import type { JobHandle } from 'onceflow';
import { down, up } from '../../services/index.js';
import { envVars } from '../../services/env.js';
import type { ServiceName } from '../../services/env.js';
import { readRecord } from '../../services/lib.js';

const quiet = (): void => {};

/**
 * Stop the harness's `name` server, wait `downFor` ms, and start it again
 * (always, also when the wait is interrupted); resolves once it answers.
 */
export async function restartServer(name: ServiceName, downFor: number): Promise<void> {
  const variable = envVars[name];
  const record = readRecord(name);
  if (!record || record.address !== process.env[variable]) {
    throw new Error(
      `the outage test stops the harness's ${name} and starts it again, but ${variable}=${process.env[variable]} is ${record ? `not the harness's (${record.address})` : 'not a server the harness started'}: run it through \`npm test\` or against \`npm run services -- up ${name}\``,
    );
  }
  await down([name], quiet);
  try {
    await new Promise((resolve) => setTimeout(resolve, downFor));
  } finally {
    // `up` takes the variable as the user's own server and would start nothing.
    const address = process.env[variable];
    delete process.env[variable];
    try {
      const { env } = await up([name], quiet);
      if (env[variable] !== address) throw new Error(`${name} came back at ${env[variable]}, not at ${address}`);
    } finally {
      process.env[variable] = address;
    }
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
  /** What to do once the server is back (it comes back empty): create the table again. */
  readonly afterRestart?: () => Promise<void>;
}

/**
 * Once the job has written some numbers, restart the server under it; then the job must finish,
 * having restarted from its latest checkpoint, with every number after that checkpoint on the
 * new server: only a prefix missing, the numbers the wiped server held.
 */
export async function throughOutage({ server, handle, total, written, afterRestart }: OutageOptions): Promise<void> {
  const restarts: number[] = [];
  handle.events.subscribe((e) => void (e.type === 'restarting' && restarts.push(e.attempt)));
  let ended = false;
  void handle.done.finally(() => (ended = true));
  while ((await written()).size < total / 8) await new Promise((resolve) => setTimeout(resolve, 50));
  await restartServer(server, 2000);
  await afterRestart?.();
  assert.not.ok(ended, 'the job was still running when the server came back');
  const { outcome } = await handle.done;
  assert.is(outcome, 'finished');
  assert.ok(restarts.length > 0, 'the job restarted from its latest checkpoint');
  const found = await written();
  const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !found.has(n));
  assert.equal(missing, Array.from({ length: missing.length }, (_, n) => n), `only a prefix is missing (${missing.length})`);
  assert.ok(missing.length < total - total / 8, 'the job went on after the server came back');
}
