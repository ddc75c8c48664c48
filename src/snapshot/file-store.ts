import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defaultCodec } from './codec.js';
import { retiredCheckpoints } from './chain.js';
import { lockFile } from './file-lock.js';
import { frameCheckpoint, newestIntact } from './framing.js';
import type { Checkpoint, LatestCheckpoint, SnapshotCodec, SnapshotStore } from './store.js';
import { ConfigurationError } from '../errors.js';

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /** Directory holding one folder per job, resolved against the working directory once, when the store is made. Default `.onceflow/checkpoints`. */
  readonly directory?: string;
  /** Checkpoints kept per job; older ones are deleted after each save. Default 3. */
  readonly retain?: number;
  /** Serialization. Default {@link structuredCloneCodec}; {@link jsonCodec} writes checkpoints a person can read. */
  readonly codec?: SnapshotCodec;
}

const fileName = /^chk-(\d+)\.ckpt$/;
// The id of the newest checkpoint ever saved, apart from the checkpoints: a deleted newest checkpoint leaves it behind.
const newestMarker = 'newest';
const lockName = 'job.lock';

/**
 * Keeps checkpoints as files, one per checkpoint: a JSON header line with the
 * body's length and SHA-256, then the body. A save writes a temporary file,
 * fsyncs it, renames it into place and fsyncs the folder, so a crash leaves
 * either the whole checkpoint or none; a torn or altered file fails its
 * checksum on read and the one before it is used. Beside them: the id of the
 * newest checkpoint saved (`newest`), and the job's lock (`job.lock`). The
 * directory is made absolute once, so a job started from another working
 * directory still finds its checkpoints.
 */
export function fileStore(options: FileStoreOptions = {}): SnapshotStore {
  const directory = resolve(options.directory ?? join('.onceflow', 'checkpoints'));
  const retain = options.retain ?? 3;
  const codec = options.codec ?? defaultCodec;
  if (!Number.isInteger(retain) || retain < 1) throw new ConfigurationError(`fileStore retain must be a whole number >= 1, got ${retain}`);
  const jobDirectory = (jobId: string): string => join(directory, jobId);
  // Parent of each checkpoint saved by this store (null: full), so that retention keeps what a kept delta builds on.
  const parents = new Map<string, number | null>();

  async function checkpointsOf(jobId: string): Promise<{ id: number; path: string }[]> {
    let names: string[];
    try {
      names = await readdir(jobDirectory(jobId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .flatMap((name) => {
        const match = fileName.exec(name);
        return match ? [{ id: Number(match[1]), path: join(jobDirectory(jobId), name) }] : [];
      })
      .sort((a, b) => b.id - a.id);
  }

  return {
    async save(checkpoint: Checkpoint): Promise<number> {
      const dir = jobDirectory(checkpoint.jobId);
      await mkdir(dir, { recursive: true });
      const { header, body } = await frameCheckpoint(checkpoint, codec);
      const final = join(dir, `chk-${checkpoint.checkpointId}.ckpt`);
      const temporary = `${final}.${process.pid}.tmp`;
      try {
        const file = await open(temporary, 'w');
        try {
          // Each from where the last ended.
          await file.writeFile(header);
          await file.writeFile(body);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temporary, final);
      } catch (error) {
        // A full disk must not also keep the half-written file.
        await rm(temporary, { force: true }).catch(() => {});
        throw error;
      }
      const folder = await open(dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      // Not fsynced: a marker lost in a crash only knows less, and the checkpoint it names is durable already.
      const markerTemporary = join(dir, `${newestMarker}.${process.pid}.tmp`);
      await writeFile(markerTemporary, String(checkpoint.checkpointId));
      await rename(markerTemporary, join(dir, newestMarker));
      parents.set(final, checkpoint.parent ?? null);
      const stored = await checkpointsOf(checkpoint.jobId);
      const retired = new Set(retiredCheckpoints(stored.map((c) => c.id), retain, (id) => parents.get(join(dir, `chk-${id}.ckpt`))));
      const older = stored.filter((c) => retired.has(c.id));
      await Promise.all(older.map((c) => rm(c.path, { force: true })));
      for (const c of older) parents.delete(c.path);
      return body.byteLength;
    },

    async latest(jobId: string): Promise<LatestCheckpoint> {
      const listed = await checkpointsOf(jobId);
      const candidates = listed.map(({ id, path }) => ({
        id,
        location: path,
        read: () => readFile(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error))),
      }));
      const found = await newestIntact(candidates, codec);
      const marker = Number(await readFile(join(jobDirectory(jobId), newestMarker), 'utf8').catch(() => ''));
      const known = [marker, listed[0]?.id ?? 0].filter((id) => Number.isInteger(id) && id > 0);
      return { ...found, newestSaved: known.length > 0 ? Math.max(...known) : undefined };
    },

    async lock(jobId: string) {
      const dir = jobDirectory(jobId);
      await mkdir(dir, { recursive: true });
      const lock = await lockFile(join(dir, lockName), jobId);
      // Holding the lock, no other runner writes here: temporary files are what failed or torn saves left.
      for (const name of await readdir(dir)) if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
      return lock;
    },

    describe: (jobId: string) => `${jobDirectory(jobId)} (fileStore)`,
  };
}
