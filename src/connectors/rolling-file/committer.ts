import type { CommitRequest, Committer } from '../../contracts/sink.js';
import type { RollingFileBackend } from './backend.js';
import { MissingPartFileError } from './errors.js';

/** A part file closed and made pending at a checkpoint, finished when that checkpoint completes. */
export interface PendingPartFile {
  /** Its hidden pending path. */
  readonly pending: string;
  /** The path it is renamed to. */
  readonly finished: string;
}

/**
 * Finishes pending part files by renaming them. Idempotent, since the
 * committables of the restored checkpoint are committed again after a crash:
 * a part already finished is left as it is.
 */
export class RollingFileCommitter implements Committer<PendingPartFile> {
  constructor(private readonly backend: RollingFileBackend) {}

  async commit(requests: readonly CommitRequest<PendingPartFile>[]): Promise<void> {
    for (const request of requests) {
      const { committable: part, checkpointId } = request;
      if ((await this.backend.size(part.pending)) !== undefined) await this.backend.rename(part.pending, part.finished);
      else if ((await this.backend.size(part.finished)) !== undefined) request.signalAlreadyCommitted();
      else {
        request.signalFailedWithKnownReason(
          new MissingPartFileError(
            `checkpoint ${checkpointId} committed part file ${part.finished}, but neither it nor its pending file ${part.pending} exists: its records are lost`,
            part.finished,
          ),
        );
      }
    }
  }
}
