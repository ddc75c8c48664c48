import { readFileSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { JobLock } from './store.js';
import { JobLockedError } from '../errors.js';

/** What a lock file holds: enough to tell whether its owner still runs. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** The owner's start time as the kernel gives it (`/proc/<pid>/stat`), so a reused pid is not taken for the owner. */
  readonly processStart: string | undefined;
  readonly since: string;
}

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may itself hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on host ${owner.host}, since ${owner.since}`;
}

/** Whether the process that wrote `owner` may still be running; another host's process is assumed to be. */
function mayBeAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return owner.processStart === undefined || processStart(owner.pid) === owner.processStart;
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Torn by a crash between create and write: its writer died with it.
    if (error instanceof SyntaxError) return { pid: -1, host: hostname(), processStart: undefined, since: 'unknown' };
    throw error;
  }
}

/**
 * Take the lock file at `path` for job `jobId`: created exclusively, holding
 * this process's pid, host and start time. A lock file whose process is gone
 * (dead, or its pid now another process's) is moved aside and taken over; a
 * live holder makes this fail with a {@link JobLockedError} naming it.
 */
export async function lockFile(path: string, jobId: string): Promise<JobLock> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), processStart: processStart(process.pid), since: new Date().toISOString() };
  const content = JSON.stringify(owner);
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(content);
        await file.sync();
      } finally {
        await file.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(path);
    if (holder && mayBeAlive(holder)) {
      throw new JobLockedError(
        `job '${jobId}' is already running (${describeOwner(holder)}): its lock ${path} is held, and one job must not run twice against one snapshot store. ` +
          `Stop that runner first; if it is gone (on another host, say), delete ${path}.`,
        describeOwner(holder),
      );
    }
    // Two runners taking over the same stale lock: the rename lets only one of them remove it.
    if (attempt >= 3) throw new JobLockedError(`job '${jobId}': could not take over the stale lock ${path}`, holder ? describeOwner(holder) : 'unknown');
    const aside = `${path}.stale-${process.pid}`;
    await rename(path, aside).then(
      () => rm(aside, { force: true }),
      (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)),
    );
  }
  return {
    async release() {
      const holder = await readOwner(path);
      if (holder && holder.pid === owner.pid && holder.since === owner.since && holder.host === owner.host) await rm(path, { force: true });
    },
  };
}
