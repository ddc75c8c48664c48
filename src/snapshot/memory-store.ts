import { jsonCodec } from './codec.js';
import type { Checkpoint, SnapshotCodec, SnapshotStore } from './store.js';
import { JobLockedError } from '../errors.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Checkpoints kept per job. Default 3. */
  readonly retain?: number;
  /** Serialization; storing encoded bytes keeps a checkpoint from changing after it is saved. Default JSON. */
  readonly codec?: SnapshotCodec;
}

/** Keeps checkpoints in this process: for tests, and for jobs whose restarts never outlive the process. */
export function memoryStore(options: MemoryStoreOptions = {}): SnapshotStore {
  const retain = options.retain ?? 3;
  const codec = options.codec ?? jsonCodec;
  const jobs = new Map<string, { id: number; bytes: Uint8Array }[]>();
  const newestSaved = new Map<string, number>();
  const locked = new Map<string, { readonly since: string }>();
  return {
    async save(checkpoint: Checkpoint): Promise<number> {
      const bytes = codec.encode(checkpoint);
      const kept = [...(jobs.get(checkpoint.jobId) ?? []), { id: checkpoint.checkpointId, bytes }].sort((a, b) => a.id - b.id);
      jobs.set(checkpoint.jobId, kept.slice(-retain));
      newestSaved.set(checkpoint.jobId, Math.max(checkpoint.checkpointId, newestSaved.get(checkpoint.jobId) ?? 0));
      return bytes.byteLength;
    },
    async latest(jobId: string) {
      const newest = jobs.get(jobId)?.at(-1);
      return { checkpoint: newest && codec.decode(newest.bytes), corrupt: [], newestSaved: newestSaved.get(jobId) };
    },
    async lock(jobId: string) {
      const holder = locked.get(jobId);
      if (holder) throw new JobLockedError(`job '${jobId}' is already running in this process (since ${holder.since}) against this memoryStore`, `this process, since ${holder.since}`);
      const mine = { since: new Date().toISOString() };
      locked.set(jobId, mine);
      return {
        async release() {
          if (locked.get(jobId) === mine) locked.delete(jobId);
        },
      };
    },
    describe: () => 'memory of this process (memoryStore)',
  };
}
