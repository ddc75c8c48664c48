import type { SourceSplit, SplitEnumerator, SplitEnumeratorInit } from '../../contracts/source.js';

/** What {@link staticSplitEnumerator} stores in a checkpoint: the splits it has not assigned yet. */
export interface StaticEnumeratorState<Split extends SourceSplit> {
  /** `undefined` until the splits were discovered (a checkpoint taken while listing). */
  readonly pending: readonly Split[] | undefined;
}

/** Options of {@link staticSplitEnumerator}. */
export interface StaticEnumeratorOptions {
  /**
   * Hand the reader one split at a time, the next once it holds none, so
   * splits are read in order and the source replays deterministically.
   * Default false: every split at once.
   */
  readonly oneAtATime?: boolean;
}

/**
 * An enumerator for a source whose splits are known when it starts (a
 * collection, the files of a directory without monitoring): `discover` runs
 * once on a fresh start; after a restore, the splits not yet assigned come
 * from the checkpoint and nothing is discovered again.
 */
export function staticSplitEnumerator<Split extends SourceSplit>(
  { context, restoredState }: SplitEnumeratorInit<Split, unknown>,
  discover: () => readonly Split[] | Promise<readonly Split[]>,
  options: StaticEnumeratorOptions = {},
): SplitEnumerator<Split, StaticEnumeratorState<Split>> {
  const restored = (restoredState as StaticEnumeratorState<Split> | undefined)?.pending;
  let pending: Split[] | undefined = restored ? [...restored] : undefined;
  const assign = (splits: Split[]): void => {
    if (splits.length > 0) context.assignSplits(splits);
    if (pending?.length === 0) context.signalNoMoreSplits();
  };
  return {
    async start() {
      pending ??= [...(await discover())];
      if (!options.oneAtATime) assign(pending.splice(0));
      else if (pending.length === 0) context.signalNoMoreSplits();
    },
    handleSplitRequest() {
      if (options.oneAtATime && pending) assign(pending.splice(0, 1));
    },
    // A copy: the checkpoint keeps it while assignments go on.
    snapshotState: () => ({ pending: pending && [...pending] }),
    close() {},
  };
}
