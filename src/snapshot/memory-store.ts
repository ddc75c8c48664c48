import { defaultCodec } from './codec.js';
import { latestOfChain, retiredCheckpoints } from './chain.js';
import type { Checkpoint, SnapshotCodec, SnapshotStore } from './store.js';
import { JobLockedError } from '../errors.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Checkpoints kept per job. Default 3. */
  readonly retain?: number;
  /** Serialization; storing encoded bytes keeps a checkpoint from changing after it is saved. Default {@link structuredCloneCodec}. */
  readonly codec?: SnapshotCodec;
}

interface Kept {
  readonly id: number;
  readonly parent: number | null;
  readonly bytes: Uint8Array;
}

/** Keeps checkpoints in this process: for tests, and for jobs whose restarts never outlive the process. */
export function memoryStore(options: MemoryStoreOptions = {}): SnapshotStore {
  const retain = options.retain ?? 3;
  const codec = options.codec ?? defaultCodec;
  // Newest first.
  const jobs = new Map<string, Kept[]>();
  const newestSaved = new Map<string, number>();
  const locked = new Map<string, { readonly since: string }>();
  return {
    async save(checkpoint: Checkpoint): Promise<number> {
      const bytes = codec.encode(checkpoint);
      const kept = [{ id: checkpoint.checkpointId, parent: checkpoint.parent ?? null, bytes }, ...(jobs.get(checkpoint.jobId) ?? []).filter((k) => k.id !== checkpoint.checkpointId)].sort(
        (a, b) => b.id - a.id,
      );
      const parents = new Map(kept.map((k) => [k.id, k.parent]));
      const retired = new Set(retiredCheckpoints(kept.map((k) => k.id), retain, (id) => parents.get(id)));
      jobs.set(checkpoint.jobId, kept.filter((k) => !retired.has(k.id)));
      newestSaved.set(checkpoint.jobId, Math.max(checkpoint.checkpointId, newestSaved.get(checkpoint.jobId) ?? 0));
      return bytes.byteLength;
    },
    async latest(jobId: string) {
      const found = await latestOfChain((jobs.get(jobId) ?? []).map(({ id, bytes }) => ({ id, location: `memory checkpoint ${id} of '${jobId}'`, read: async () => codec.decode(bytes) })));
      return { ...found, newestSaved: newestSaved.get(jobId) };
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
