/**
 * What every server recipe shares: where caches live, spawning a detached server with its
 * log, waiting until it answers its own protocol, stopping it, and Maven classpaths.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from './env.js';

export const servicesDir = fileURLToPath(new URL('.', import.meta.url));

// Outside the repo so a fresh clone (and `git clean`) keeps the resolved classpaths.
export const cacheRoot = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'onceflow', 'services');

/** A tool the harness needs is not installed; the message names the package. */
export class PrerequisiteMissing extends Error {
  override name = 'PrerequisiteMissing';
}

/** A server exited or did not answer in time; the message ends with the tail of its log. */
export class ServerFailedToStart extends Error {
  override name = 'ServerFailedToStart';
}

/** Maven could not produce a server's classpath; the message ends with the tail of its log. */
export class ClasspathResolutionFailed extends Error {
  override name = 'ClasspathResolutionFailed';
}

export interface Server {
  readonly name: ServiceName;
  /** Where the server listens when the harness starts it: the value given to tests. */
  readonly address: string;
  /** Resolves when the server at `address` answers its own protocol, rejects otherwise. */
  probe(address: string): Promise<void>;
  /** Spawns the server into a fresh data dir; readiness is waited for by the caller. */
  start(dir: string, log: string): Promise<number>;
  /** Spawns it again on the data dir a stopped start left, data and all: for tests that restart a server mid-run. */
  startAgain?(dir: string, log: string): Promise<number>;
  /** How long a cold start may take on 2 busy cores before it counts as failed. */
  readonly startTimeoutMs: number;
}

export const javaInstall = 'a JDK 17 (apt-get install -y openjdk-17-jdk-headless)';

export function requireCommand(command: string, install: string): void {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
  if (!found) throw new PrerequisiteMissing(`\`${command}\` is not on PATH: install ${install}`);
}

export function logTail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  // A JVM that fails logs its cause, then pages of orderly shutdown: show the first errors too.
  const errors = all.slice(0, -lines).filter((line) => /\b(ERROR|FATAL|SEVERE)\b|Exception|Error:/.test(line)).slice(0, 10);
  const head = errors.length > 0 ? `--- first errors in ${file} ---\n${errors.join('\n')}\n` : '';
  return `${head}--- last lines of ${file} ---\n${all.slice(-lines).join('\n')}`;
}

/** Data dirs are wiped on every start so each test run sees empty servers. */
export function freshDir(name: ServiceName): { dir: string; log: string } {
  const dir = join(cacheRoot, 'run', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { dir, log: join(dir, 'server.log') };
}

interface StartRecord {
  pid: number;
  address: string;
  log: string;
}

/**
 * When the process started, in clock ticks since boot (Linux /proc). Stored with the pid so a
 * pid the kernel has since given to an unrelated process is never taken for our server (and
 * never signalled by `down`).
 */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const recordFile = (name: ServiceName): string => join(cacheRoot, 'run', `${name}.json`);

/** Started servers are recorded on disk so `down` from another process can stop them. */
export function readRecord(name: ServiceName): StartRecord | undefined {
  const file = recordFile(name);
  if (!existsSync(file)) return undefined;
  const { startedAt, ...record } = JSON.parse(readFileSync(file, 'utf8')) as StartRecord & { startedAt?: string };
  if (startedAt !== undefined && startTime(record.pid) === startedAt) return record;
  forgetRecord(name);
  return undefined;
}

export function writeRecord(name: ServiceName, record: StartRecord): void {
  writeFileSync(recordFile(name), JSON.stringify({ ...record, startedAt: startTime(record.pid) }));
}

export function forgetRecord(name: ServiceName): void {
  rmSync(recordFile(name), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `command` in its own process group, stdout and stderr into `log`. The group lets
 * `stop` end the helpers a server forks (RabbitMQ's Erlang VM behind its start script).
 */
export function spawnDetached(command: string, args: readonly string[], options: { cwd: string; log: string; env?: NodeJS.ProcessEnv }): number {
  const fd = openSync(options.log, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.on('error', () => {}); // an exec failure shows up as a dead pid in waitReady
  child.unref();
  if (child.pid === undefined) throw new ServerFailedToStart(`could not spawn ${command}\n${logTail(options.log)}`);
  return child.pid;
}

/** Runs a command to completion with its output in `log` (Maven, one-off format tools). */
export function runLogged(command: string, args: readonly string[], options: { cwd: string; log: string }): Promise<number> {
  const fd = openSync(options.log, 'a');
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One probe, bounded so a hung connection cannot stall the caller. */
export function probeOnce(server: Server, address: string): Promise<void> {
  return withTimeout(server.probe(address), 30_000, `${server.name} probe`);
}

export async function waitReady(server: Server, pid: number, log: string): Promise<void> {
  const deadline = Date.now() + server.startTimeoutMs;
  let lastError: unknown = 'no probe finished';
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new ServerFailedToStart(`${server.name} exited before answering on ${server.address}\n${logTail(log)}`);
    try {
      await probeOnce(server, server.address);
      return;
    } catch (error) {
      lastError = error;
    }
    await sleep(1000);
  }
  throw new ServerFailedToStart(
    `${server.name} did not answer on ${server.address} within ${server.startTimeoutMs / 1000}s (last probe: ${describe(lastError)})\n${logTail(log)}`,
  );
}

/** SIGTERM to the whole group, then SIGKILL if it lingers: servers flush nothing we need. */
export async function stop(pid: number): Promise<void> {
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (let waited = 0; waited < 20_000 && alive(-pid); waited += 200) await sleep(200);
  if (alive(-pid)) signal('SIGKILL');
  for (let waited = 0; waited < 5_000 && alive(-pid); waited += 100) await sleep(100);
}

/**
 * The classpath of `services/<server>/pom.xml`, resolved once by Maven and cached under a
 * hash of the pom, so editing the pom re-resolves and a warm start never runs Maven.
 */
export function mavenClasspath(server: ServiceName): Promise<string> {
  // One Maven at a time: concurrent runs share ~/.m2 without locking, and on an empty one
  // they would download the same plugin jars over each other.
  const result = mavenQueue.then(() => resolveClasspath(server));
  mavenQueue = result.catch(() => undefined);
  return result;
}

let mavenQueue: Promise<unknown> = Promise.resolve();

async function resolveClasspath(server: ServiceName): Promise<string> {
  const pom = join(servicesDir, server, 'pom.xml');
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, 'classpath');
  const file = join(dir, `${server}-${hash}.cp`);
  if (existsSync(file)) {
    const classpath = readFileSync(file, 'utf8').trim();
    // ~/.m2 may have been cleaned since: then resolve again instead of failing in java.
    if (classpath.split(':').every((jar) => existsSync(jar))) return classpath;
  }
  // Maven itself runs on Java: name the JDK first, or a missing one shows up as a Maven error.
  requireCommand('java', javaInstall);
  requireCommand('mvn', 'Maven (apt-get install -y maven)');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${server}.mvn.log`);
  rmSync(log, { force: true });
  const partial = `${file}.${process.pid}.partial`;
  const args = ['-B', '-q', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`];
  const code = await runLogged('mvn', args, { cwd: dir, log });
  if (code !== 0 || !existsSync(partial)) {
    throw new ClasspathResolutionFailed(`mvn ${args.join(' ')} failed (exit ${code})\n${logTail(log)}`);
  }
  renameSync(partial, file);
  return readFileSync(file, 'utf8').trim();
}

/** The single jar of `artifact` on a resolved classpath (a -javaagent, say). */
export function jarOn(classpath: string, artifact: string): string {
  const jar = classpath.split(':').find((path) => path.split('/').at(-1)?.startsWith(`${artifact}-`));
  if (jar === undefined) throw new ClasspathResolutionFailed(`no ${artifact} jar on the resolved classpath`);
  return jar;
}

/** The options every JVM server here shares, before the server's own. */
export function jvmOptions(heap: string, extra: readonly string[]): string[] {
  requireCommand('java', javaInstall);
  // Two cores start four JVMs at once: the serial collector and the C1 compiler alone spend
  // far less CPU warming up, and test traffic is too light to need C2's code. A server out
  // of heap exits, so tests fail at once instead of hanging on a half-dead JVM.
  return [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError', '-Djava.net.preferIPv4Stack=true', ...extra];
}
