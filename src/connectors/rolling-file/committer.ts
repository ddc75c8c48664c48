import { posix } from 'node:path';
import type { CommitRequest, Committer } from '../../contracts/sink.js';
import type { RollingFileBackend } from './backend.js';
import { MissingPartFileError } from './errors.js';
import { committedMarkerIds } from './part-names.js';

/** A part file closed and made pending at a checkpoint, finished when that checkpoint completes. */
export interface PendingPartFile {
  /** Its hidden pending path. */
  readonly pending: string;
  /** The path it is renamed to. */
  readonly finished: string;
  /**
   * Base path of the sink's committed marker (`<directory>/.<prefix>.committed`); the committer keeps
   * `<base>-<n>` for the newest checkpoint n whose parts it finished. Absent in checkpoints of older versions.
   */
  readonly marker?: string;
}

/**
 * Finishes pending part files by renaming them, then records the checkpoint
 * as committed in the sink's marker. Idempotent, since the committables of the
 * restored checkpoint are committed again after a crash: a part already
 * finished is left as it is, and one that is neither pending nor finished is
 * fine when the marker says its checkpoint was committed before (a consumer
 * deleted or moved the finished part: not the sink's business any more). Only
 * a part missing from a checkpoint never committed is lost.
 */
export class RollingFileCommitter implements Committer<PendingPartFile> {
  // Newest committed checkpoint per marker base, once read from the directory.
  private readonly committed = new Map<string, number>();

  constructor(private readonly backend: RollingFileBackend) {}

  async commit(requests: readonly CommitRequest<PendingPartFile>[]): Promise<void> {
    let lost = false;
    for (const request of requests) {
      const { committable: part, checkpointId } = request;
      if ((await this.backend.size(part.pending)) !== undefined) await this.backend.rename(part.pending, part.finished);
      else if ((await this.backend.size(part.finished)) !== undefined) request.signalAlreadyCommitted();
      else if (part.marker !== undefined && (await this.newestCommitted(part.marker, true)) >= checkpointId) request.signalAlreadyCommitted();
      else {
        lost = true;
        request.signalFailedWithKnownReason(
          new MissingPartFileError(
            `checkpoint ${checkpointId} committed part file ${part.finished}, but neither it nor its pending file ${part.pending} exists, ` +
              'and the checkpoint was never committed before: its records are lost',
            part.finished,
          ),
        );
      }
    }
    // A checkpoint with a lost part is not committed: the marker must not later excuse the loss.
    const marked = requests.find((r) => r.committable.marker !== undefined);
    if (!lost && marked?.committable.marker !== undefined) await this.markCommitted(marked.committable.marker, marked.checkpointId);
  }

  // `fresh`: read the directory even when known (a restore with replayCommittedOutput may have reset the marker).
  private async newestCommitted(base: string, fresh = false): Promise<number> {
    const known = this.committed.get(base);
    if (known !== undefined && !fresh) return known;
    const directory = posix.dirname(base);
    const ids = committedMarkerIds(base, directory, await this.backend.list(directory));
    const newest = Math.max(0, ...ids);
    this.committed.set(base, newest);
    return newest;
  }

  /** Write `<base>-<checkpointId>` (a rename, durable when it returns) and delete older markers. */
  private async markCommitted(base: string, checkpointId: number): Promise<void> {
    const previous = await this.newestCommitted(base);
    if (checkpointId <= previous) return;
    const writing = `${base}.writing`;
    await (await this.backend.create(writing)).close();
    await this.backend.delete(`${base}-${checkpointId}`);
    await this.backend.rename(writing, `${base}-${checkpointId}`);
    this.committed.set(base, checkpointId);
    if (previous > 0) await this.backend.delete(`${base}-${previous}`);
  }
}
