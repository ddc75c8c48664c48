import { jsonCodec } from './codec.js';
import type { Checkpoint, SnapshotCodec, SnapshotStore } from './store.js';

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
  const jobs = new Map<string, Uint8Array[]>();
  return {
    location: 'memory',
    async save(checkpoint: Checkpoint): Promise<number> {
      const kept = jobs.get(checkpoint.jobId) ?? [];
      const bytes = codec.encode(checkpoint);
      kept.push(bytes);
      jobs.set(checkpoint.jobId, kept.slice(-retain));
      return bytes.byteLength;
    },
    async latest(jobId: string) {
      const newest = jobs.get(jobId)?.at(-1);
      return { checkpoint: newest && codec.decode(newest), corrupt: [] };
    },
  };
}
