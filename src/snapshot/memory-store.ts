import { defaultCodec } from './codec.js';
import { latestOfChain, retiredCheckpoints } from './chain.js';
import type { Checkpoint, SnapshotCodec, SnapshotStore } from './store.js';

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
  return {
    location: 'memory',
    async save(checkpoint: Checkpoint): Promise<number> {
      const bytes = codec.encode(checkpoint);
      const kept = [{ id: checkpoint.checkpointId, parent: checkpoint.parent ?? null, bytes }, ...(jobs.get(checkpoint.jobId) ?? [])];
      const parents = new Map(kept.map((k) => [k.id, k.parent]));
      const retired = new Set(retiredCheckpoints(kept.map((k) => k.id), retain, (id) => parents.get(id)));
      jobs.set(checkpoint.jobId, kept.filter((k) => !retired.has(k.id)));
      return bytes.byteLength;
    },
    async latest(jobId: string) {
      return latestOfChain((jobs.get(jobId) ?? []).map(({ id, bytes }) => ({ id, location: `memory checkpoint ${id} of '${jobId}'`, read: async () => codec.decode(bytes) })));
    },
  };
}
