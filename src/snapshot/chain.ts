import type { Checkpoint } from './store.js';
import { CorruptCheckpointError } from '../errors.js';
import { asKeyedMap, isKeyedStateDelta, setEntries } from './keyed-delta.js';
import type { KeyedStateDelta } from './keyed-delta.js';

/** Apply `delta` to `base` (a full keyed state, changed in place when it is a Map). */
function applyDelta(base: unknown, delta: KeyedStateDelta): Map<unknown, unknown> {
  const map = asKeyedMap(base);
  for (const key of delta.removed) map.delete(key);
  setEntries(map, delta.changed);
  return map;
}

/** A stored checkpoint a store can read again by id, newest first in the lists given to {@link latestOfChain}. */
export interface StoredCheckpoint {
  readonly id: number;
  readonly location: string;
  /** Its decoded content, `null` when it is gone, or a rejection with {@link CorruptCheckpointError} when it is damaged. */
  readonly read: () => Promise<Checkpoint | null>;
}

/**
 * The newest checkpoint among `stored` (newest first) that can be restored:
 * intact itself, and every checkpoint its chain of deltas builds on intact
 * and present. Its keyed state is merged into full state. A checkpoint whose
 * chain is broken is reported as corrupt and an older one is tried: never a
 * state with a delta missing.
 */
export async function latestOfChain(stored: readonly StoredCheckpoint[]): Promise<{ checkpoint: Checkpoint | undefined; corrupt: CorruptCheckpointError[] }> {
  const corrupt: CorruptCheckpointError[] = [];
  const byId = new Map(stored.map((s) => [s.id, s]));
  for (const candidate of stored) {
    try {
      const newest = await candidate.read();
      // Gone between listing and reading: a concurrent save retired it.
      if (newest === null) continue;
      return { checkpoint: await mergeChain(newest, candidate.location, byId), corrupt };
    } catch (error) {
      if (!(error instanceof CorruptCheckpointError)) throw error;
      corrupt.push(error);
    }
  }
  return { checkpoint: undefined, corrupt };
}

async function mergeChain(newest: Checkpoint, location: string, byId: ReadonlyMap<number, StoredCheckpoint>): Promise<Checkpoint> {
  // Newest first, back to the full checkpoint the chain starts from.
  const chain: Checkpoint[] = [newest];
  // A checkpoint whose keyed state is all full (most keys changed) needs nothing before it.
  for (let at = newest; at.parent !== undefined && holdsDeltas(at); ) {
    const parentId: number = at.parent;
    const parent = byId.get(parentId);
    let decoded: Checkpoint | null;
    try {
      decoded = parent ? await parent.read() : null;
    } catch (cause) {
      throw new CorruptCheckpointError(`checkpoint ${location} builds on checkpoint ${parentId}, which is corrupt: ${(cause as Error).message}`, location, { cause });
    }
    if (!decoded) throw new CorruptCheckpointError(`checkpoint ${location} builds on checkpoint ${parentId}, which is missing`, location);
    if (decoded.checkpointId !== parentId) throw new CorruptCheckpointError(`checkpoint ${location} builds on checkpoint ${parentId}, but found checkpoint ${decoded.checkpointId} in its place`, location);
    // Ids are reused after a restore from an older checkpoint: the one stored under the parent's id now may be another run's.
    if (at.parentTimestamp !== undefined && decoded.timestamp !== at.parentTimestamp) {
      throw new CorruptCheckpointError(
        `checkpoint ${location} builds on checkpoint ${parentId} taken at ${at.parentTimestamp}, but the checkpoint ${parentId} stored was taken at ${decoded.timestamp} (a later run reused its id)`,
        location,
      );
    }
    chain.push(decoded);
    at = decoded;
  }
  if (chain.length === 1) return newest;
  // What the chain merges into is full state: it no longer builds on anything.
  const { parent: _merged, parentTimestamp: _mergedAt, ...merged } = newest;
  let operators: Record<string, Record<string, unknown>> = { ...chain[chain.length - 1]!.operators };
  for (let i = chain.length - 2; i >= 0; i--) {
    const next: Record<string, Record<string, unknown>> = {};
    for (const [operatorId, states] of Object.entries(chain[i]!.operators)) {
      const merged: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(states)) merged[name] = isKeyedStateDelta(value) ? applyDelta(operators[operatorId]?.[name], value) : value;
      next[operatorId] = merged;
    }
    operators = next;
  }
  return { ...merged, operators };
}

function holdsDeltas(checkpoint: Checkpoint): boolean {
  return Object.values(checkpoint.operators).some((states) => Object.values(states).some(isKeyedStateDelta));
}

/**
 * Which stored checkpoints a store may delete when it keeps `retain`: all but
 * the newest `retain` and the checkpoints their chains build on. `parentOf`
 * gives a checkpoint's parent (`null` for a full one) when the store knows it;
 * while a kept checkpoint's chain is not known, nothing is deleted.
 */
export function retiredCheckpoints(idsNewestFirst: readonly number[], retain: number, parentOf: (id: number) => number | null | undefined): number[] {
  const needed = new Set<number>();
  for (const id of idsNewestFirst.slice(0, retain)) {
    for (let at: number | null = id; at !== null && !needed.has(at); ) {
      needed.add(at);
      const parent = parentOf(at);
      if (parent === undefined) return [];
      at = parent;
    }
  }
  return idsNewestFirst.filter((id) => !needed.has(id));
}
