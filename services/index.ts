/**
 * The harness's programmatic face, used by `npm test` and `npm run services`.
 *
 * For each system: a user's environment variable wins and nothing is started; else a server
 * already answering on the default address is used as it is; else one is started and waited
 * for. Only servers started by `up` are ever stopped.
 */
import { dirname } from 'node:path';
import { envVars, serviceNames } from './env.js';
import type { ServiceName } from './env.js';
import { PrerequisiteMissing, describe, forgetRecord, freshDir, probeOnce, readRecord, stop, waitReady, writeRecord } from './lib.js';
import type { Server } from './lib.js';
import { cassandra } from './cassandra.js';
import { elasticsearch } from './elasticsearch.js';
import { hdfs } from './hdfs.js';
import { kafka } from './kafka.js';
import { kinesis } from './kinesis.js';
import { rabbitmq } from './rabbitmq.js';
import { redis } from './redis.js';

export { envVars, serviceNames, isServiceName } from './env.js';
export type { ServiceName } from './env.js';
export { PrerequisiteMissing, ServerFailedToStart, ClasspathResolutionFailed } from './lib.js';

const servers: Record<ServiceName, Server> = { kafka, cassandra, elasticsearch, hdfs, kinesis, redis, rabbitmq };

export interface Started {
  /** The variables to hand to tests: one per system asked for. */
  env: Record<string, string>;
  /** What this call started, and so what `down` should stop. */
  started: ServiceName[];
}

/** Several systems could not be brought up; each cause is in the message. */
export class ServicesUnavailable extends Error {
  override name = 'ServicesUnavailable';
}

type Say = (line: string) => void;

// What this process spawned, so a signal handler can stop it even while `up` is still waiting.
const spawnedHere = new Set<ServiceName>();

/** Servers this process started and has not stopped: for SIGINT/SIGTERM handlers. */
export function startedHere(): ServiceName[] {
  return [...spawnedHere];
}

async function bringUp(server: Server, say: Say): Promise<{ address: string; started: boolean }> {
  const fromUser = process.env[envVars[server.name]];
  if (fromUser) {
    say(`${server.name}: using ${envVars[server.name]}=${fromUser}`);
    return { address: fromUser, started: false };
  }
  const recorded = readRecord(server.name);
  if (recorded) {
    say(`${server.name}: already started by the harness (pid ${recorded.pid}) at ${recorded.address}`);
    return { address: recorded.address, started: false };
  }
  try {
    await probeOnce(server, server.address);
    say(`${server.name}: already running at ${server.address}`);
    return { address: server.address, started: false };
  } catch {
    // not there: start one
  }
  const began = Date.now();
  const { dir, log } = freshDir(server.name);
  const pid = await server.start(dir, log);
  writeRecord(server.name, { pid, address: server.address, log });
  spawnedHere.add(server.name);
  try {
    await waitReady(server, pid, log);
  } catch (error) {
    await down([server.name]);
    throw error;
  }
  say(`${server.name}: started at ${server.address} in ${((Date.now() - began) / 1000).toFixed(1)}s (pid ${pid}, log ${log})`);
  return { address: server.address, started: true };
}

/**
 * Brings up `names` together (JVM start-up dominates, so they overlap). If any fails, the
 * others this call started are stopped again before the error is thrown.
 */
export async function up(names: readonly ServiceName[] = serviceNames, say: Say = console.error): Promise<Started> {
  const results = await Promise.allSettled(names.map((name) => bringUp(servers[name], say)));
  const result: Started = { env: {}, started: [] };
  const failures: string[] = [];
  results.forEach((outcome, index) => {
    const name = names[index] as ServiceName;
    if (outcome.status === 'rejected') {
      failures.push(`${name}: ${describe(outcome.reason)}`);
      return;
    }
    result.env[envVars[name]] = outcome.value.address;
    if (outcome.value.started) result.started.push(name);
  });
  if (failures.length > 0) {
    await down(result.started);
    // Four JVM servers missing one JDK is one thing to install: say it once.
    const missing = new Set(results.flatMap((outcome) => (outcome.status === 'rejected' && outcome.reason instanceof PrerequisiteMissing ? [outcome.reason.message] : [])));
    if (missing.size > 0) throw new PrerequisiteMissing([...missing].join('\n'));
    throw new ServicesUnavailable(`could not bring up ${failures.length} of ${names.length} servers\n\n${failures.join('\n\n')}`);
  }
  return result;
}

/** Stops servers the harness started (in this process or an earlier `up`); others are left alone. */
export async function down(names: readonly ServiceName[] = serviceNames, say: Say = console.error): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const record = readRecord(name);
      spawnedHere.delete(name);
      if (!record) return;
      await stop(record.pid);
      forgetRecord(name);
      say(`${name}: stopped (pid ${record.pid})`);
    }),
  );
}

/** A server {@link stopKeepingData} stopped: its data dir is kept until it is started again. */
export interface StoppedServer {
  /** Start it on its data as it was, and wait until it answers. */
  startAgain(say?: Say): Promise<void>;
}

/**
 * Stops a server the harness started, keeping its data, so a test can take it away
 * mid-run and bring it back. A server the harness did not start (a user's, or one
 * already running on the default address) is not ours to stop: that is an error, not a skip.
 */
export async function stopKeepingData(name: ServiceName, say: Say = console.error): Promise<StoppedServer> {
  const server = servers[name];
  const record = readRecord(name);
  if (!record) throw new Error(`${name} was not started by the harness (its variable is set, or another server answers on its address): a test that restarts it needs one the harness started`);
  const again = server.startAgain;
  if (!again) throw new Error(`the harness cannot start ${name} again on its data`);
  await stop(record.pid);
  forgetRecord(name);
  say(`${name}: stopped (pid ${record.pid}), data kept`);
  return {
    async startAgain(sayAgain: Say = say) {
      const pid = await again(dirname(record.log), record.log);
      writeRecord(name, { ...record, pid });
      await waitReady(server, pid, record.log);
      sayAgain(`${name}: started again (pid ${pid})`);
    },
  };
}

export interface Status {
  name: ServiceName;
  address: string;
  source: 'environment' | 'harness' | 'default address';
  answers: boolean;
  detail: string;
}

export async function status(names: readonly ServiceName[] = serviceNames): Promise<Status[]> {
  return Promise.all(
    names.map(async (name): Promise<Status> => {
      const fromUser = process.env[envVars[name]];
      const recorded = readRecord(name);
      const source = fromUser ? 'environment' : recorded ? 'harness' : 'default address';
      const address = fromUser ?? recorded?.address ?? servers[name].address;
      try {
        await probeOnce(servers[name], address);
        return { name, address, source, answers: true, detail: recorded ? `pid ${recorded.pid}` : '' };
      } catch (error) {
        return { name, address, source, answers: false, detail: describe(error) };
      }
    }),
  );
}
