import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectionSource, fixedDelayRestart, map, memoryStore, pipeline, stderrLogger } from 'onceflow';
import type { JobHandle, LogFields, Logger } from 'onceflow';
import { memorySink } from 'onceflow/testing';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Line {
  readonly level: keyof Logger;
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line, as pino would hand them to a transport. */
function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: keyof Logger) =>
    (fieldsOrMessage: LogFields | string, message?: string): void => {
      lines.push(typeof fieldsOrMessage === 'string' ? { level, fields: {}, message: fieldsOrMessage } : { level, fields: fieldsOrMessage, message: message ?? '' });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Resolves when the job's first checkpoint completes. */
function firstCheckpoint(handle: JobHandle): Promise<void> {
  return new Promise((resolve, reject) => {
    handle.events.subscribe({
      next: (e) => e.type === 'checkpoint-completed' && resolve(),
      complete: () => reject(new Error('the job ended before its first checkpoint')),
    });
  });
}

function longJob(id: string, options: { signals?: boolean } = {}) {
  const sink = memorySink<number>();
  const job = pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 5, store: memoryStore() }, logger: quiet, ...options })
    .from(collectionSource(range(2_000_000), { chunkSize: 100 }))
    .to(sink);
  return { job, sink };
}

const listeners = (): number => process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');

test('the first SIGTERM drains a running job, and its signal listeners go when it ends', async () => {
  const before = listeners();
  const { job, sink } = longJob('sigterm');
  const handle = job.start();
  assert.is(listeners(), before + 2, 'a running job listens for SIGTERM and SIGINT');
  await firstCheckpoint(handle);
  // A checkpoint can come before the first record on a fast machine: drain only once records flow.
  while (sink.written.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  process.emit('SIGTERM');
  const result = await handle.done;
  assert.is(result.outcome, 'drained');
  assert.ok(sink.committed.length > 0 && sink.committed.length < 2_000_000, 'it ended mid-way');
  assert.equal(sink.committed, range(sink.committed.length), 'everything read was committed by the final checkpoint');
  assert.is(listeners(), before);
});

test('a second signal stops a draining job at once; several jobs share one listener', async () => {
  const before = listeners();
  const first = longJob('sigint-1').job.start();
  const second = longJob('sigint-2').job.start();
  assert.is(listeners(), before + 2);
  await Promise.all([firstCheckpoint(first), firstCheckpoint(second)]);
  process.emit('SIGINT');
  process.emit('SIGINT');
  assert.equal([(await first.done).outcome, (await second.done).outcome], ['stopped', 'stopped']);
  assert.is(listeners(), before);
});

test('signals: false leaves signals to the caller', async () => {
  const before = listeners();
  const handle = longJob('no-signals', { signals: false }).job.start();
  assert.is(listeners(), before);
  await firstCheckpoint(handle);
  assert.is((await handle.stop()).outcome, 'stopped');
});

test('the logger gets structured lines at start, checkpoint, restart, restore, drain and end', async () => {
  const lines: Line[] = [];
  let failed = false;
  const sink = memorySink<number>();
  const handle = pipeline({
    id: 'logged',
    guarantee: 'exactly-once',
    checkpoints: { interval: 1, store: memoryStore() },
    restart: fixedDelayRestart({ attempts: 1, delay: 1 }),
    logger: recordingLogger(lines),
    signals: false,
  })
    .from(collectionSource(range(1_000_000), { chunkSize: 100 }))
    .pipe(
      map((x: number) => {
        if (x === 20_000 && !failed) {
          failed = true;
          throw new Error('injected');
        }
        return x;
      }),
    )
    .to(sink)
    .start();
  handle.events.subscribe((e) => e.type === 'restored' && void handle.drain());
  assert.is((await handle.done).outcome, 'drained');

  const find = (level: keyof Logger, pattern: RegExp): Line => {
    const line = lines.find((l) => l.level === level && pattern.test(l.message));
    assert.ok(line, `a ${level} line matching ${pattern} in:\n${lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields)}`).join('\n')}`);
    return line;
  };
  assert.equal(find('info', /^job 'logged' starting; its checkpoints are kept in memory of this process \(memoryStore\)$/).fields, {
    jobId: 'logged',
    guarantee: 'exactly-once',
    checkpointInterval: 1,
    store: 'memory of this process (memoryStore)',
  });
  assert.is(find('info', /starting from the beginning/).fields.attempt, 1);
  const checkpoint = find('debug', /^checkpoint completed$/).fields;
  assert.is(checkpoint.jobId, 'logged');
  assert.type(checkpoint.checkpointId, 'number');
  const restart = find('warn', /restarting from its latest checkpoint in 1 ms/).fields;
  assert.is(restart.attempt, 2);
  assert.match((restart.err as Error).message, /^operator 0-map failed on record \d+ from 0-collection split collection at position \S+: injected$/);
  const restore = find('info', /^restoring from checkpoint \d+$/).fields;
  assert.equal({ ...restore, checkpointId: 0 }, { jobId: 'logged', attempt: 2, checkpointId: 0, store: 'memory of this process (memoryStore)' });
  find('info', /^draining/);
  assert.equal(find('info', /^job ended: drained$/).fields, { jobId: 'logged', outcome: 'drained', attempts: 2 });
  assert.ok(lines.every((l) => l.fields.jobId === 'logged'), 'every line names its job');
});

test('the default logger writes warnings to stderr as one readable line, and info only when asked', () => {
  const written: string[] = [];
  const original = console.error;
  console.error = (line: string) => written.push(line);
  try {
    stderrLogger().info({ jobId: 'j' }, 'hidden');
    stderrLogger().warn({ jobId: 'j', attempt: 2, delayMs: 5, err: new Error('boom') }, 'restarting');
    stderrLogger('info').info('plain message');
  } finally {
    console.error = original;
  }
  assert.equal(written, ['onceflow: restarting (jobId=j attempt=2 delayMs=5): boom', 'onceflow: plain message']);
});

test('console and a pino-shaped logger are Loggers', () => {
  // pino's LogFn, as its typings declare it (pino itself is not a dependency).
  interface PinoLogFn {
    <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
    (obj: unknown, msg?: string, ...args: unknown[]): void;
    (msg: string, ...args: unknown[]): void;
  }
  const pinoLike = {} as { debug: PinoLogFn; info: PinoLogFn; warn: PinoLogFn; error: PinoLogFn; level: string };
  const loggers: Logger[] = [console, pinoLike];
  assert.is(loggers.length, 2);
});

test.run();
