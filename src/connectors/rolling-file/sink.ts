import type { CommittingSink, CommittingSinkWriter, SinkWriterContext } from '../../contracts/sink.js';
import { ConfigurationError, ResumeWouldDuplicateError } from '../../errors.js';
import { defaultLineFormat } from '../shared/format.js';
import type { PartFileWriter, RollingFileBackend } from './backend.js';
import type { BucketAssigner } from './bucket-assigner.js';
import { checkBucket, dateTimeBuckets } from './bucket-assigner.js';
import type { PendingPartFile } from './committer.js';
import { RollingFileCommitter } from './committer.js';
import { MissingPartFileError } from './errors.js';
import { localBackend } from './local-backend.js';
import { PartNames } from './part-names.js';
import type { PartFileInfo, RollingPolicy } from './rolling-policy.js';
import { defaultRollingPolicy } from './rolling-policy.js';

/** Options of {@link rollingFileSink}. */
export interface RollingFileSinkOptions<T> {
  /** Directory holding the buckets (absolute, or relative to the working directory for the local backend). */
  readonly directory: string;
  /** Where files go. Default {@link localBackend}. */
  readonly backend?: RollingFileBackend;
  /** Which bucket (subdirectory) a record goes to. Default {@link dateTimeBuckets}, hourly. */
  readonly bucketAssigner?: BucketAssigner<T>;
  /** When part files are closed. Default {@link defaultRollingPolicy}. */
  readonly rollingPolicy?: RollingPolicy;
  /** Turns a record into its line (without the newline). Default: strings as they are, anything else as JSON. */
  readonly format?: (record: T) => string;
  /** Part file names start with this, then `-<counter>`. Default `part-<job id>`. */
  readonly partPrefix?: string;
  /** Part file names end with this (`.txt`, `.jsonl`). Default none. */
  readonly partSuffix?: string;
  /** Clock, for tests of time-based rolling and bucketing. Default `Date.now`. */
  readonly now?: () => number;
}

/** The writer state stored in each checkpoint: what to resume on restore. */
export interface RollingFileWriterState {
  /** Counter of the next part file. */
  readonly nextCounter: number;
  /** Parts left open across the checkpoint, with the length they had at its barrier. */
  readonly inProgress: readonly InProgressPartFile[];
}

/** An in-progress part as a checkpoint saw it. */
export interface InProgressPartFile {
  /** Its bucket (`''` for the sink's directory). */
  readonly bucket: string;
  /** Its counter, part of its name. */
  readonly counter: number;
  /** Bytes covered by the checkpoint; anything after them is cut off on restore. */
  readonly validLength: number;
  /** When it was opened (ms since the epoch), for the rollover interval. */
  readonly openedAt: number;
}

/**
 * Writes records as lines into part files, exactly-once, like Flink's
 * StreamingFileSink: a part is written in progress (hidden), closed when the
 * rolling policy says so, made pending (still hidden) at the next checkpoint
 * barrier and finished (renamed to its visible name) once that checkpoint
 * completes. Parts left open across a checkpoint are fsynced at its barrier
 * and their length stored; on restore they are truncated to it, so readers of
 * the finished files see each record exactly once.
 */
export function rollingFileSink<T>(options: RollingFileSinkOptions<T>): CommittingSink<T, 'exactly-once', 'exactly-once', false, PendingPartFile, RollingFileWriterState> {
  const { directory, partSuffix = '' } = options;
  if (typeof directory !== 'string' || directory.length === 0) throw new ConfigurationError('rollingFileSink directory must be a non-empty string');
  if (options.partPrefix !== undefined && !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(options.partPrefix)) {
    throw new ConfigurationError(`rollingFileSink partPrefix must be letters, digits, '.', '_' or '-' and not start with '.', got '${options.partPrefix}'`);
  }
  if (!/^[A-Za-z0-9._-]*$/.test(partSuffix)) throw new ConfigurationError(`rollingFileSink partSuffix must be letters, digits, '.', '_' or '-', got '${partSuffix}'`);
  const backend = options.backend ?? localBackend();
  const settings: WriterSettings<T> = {
    directory: directory.replace(/\/+$/, '') || '/',
    backend,
    bucketAssigner: options.bucketAssigner ?? (dateTimeBuckets() as BucketAssigner<T>),
    rollingPolicy: options.rollingPolicy ?? defaultRollingPolicy(),
    format: options.format ?? defaultLineFormat,
    partSuffix,
    now: options.now ?? Date.now,
  };
  return {
    name: 'rolling-file',
    guarantee: 'exactly-once',
    requires: 'exactly-once',
    deterministicOnly: false,
    kind: 'committing',
    createWriter: (context) => RollingFileWriter.restore(settings, options.partPrefix ?? `part-${context.jobId.replace(/[^A-Za-z0-9._-]/g, '_')}`, context),
    createCommitter: () => new RollingFileCommitter(backend),
  };
}

interface WriterSettings<T> {
  readonly directory: string;
  readonly backend: RollingFileBackend;
  readonly bucketAssigner: BucketAssigner<T>;
  readonly rollingPolicy: RollingPolicy;
  readonly format: (record: T) => string;
  readonly partSuffix: string;
  readonly now: () => number;
}

interface OpenPart extends PartFileInfo {
  readonly counter: number;
  readonly writer: PartFileWriter;
  size: number;
  lastWriteAt: number;
}

class RollingFileWriter<T> implements CommittingSinkWriter<T, PendingPartFile, RollingFileWriterState> {
  private readonly open = new Map<string, OpenPart>();
  // Closed by the rolling policy, made pending at the next barrier.
  private closed: OpenPart[] = [];
  private state: RollingFileWriterState | undefined;
  private shut = false;

  private constructor(
    private readonly settings: WriterSettings<T>,
    private readonly names: PartNames,
    private nextCounter: number,
  ) {}

  /**
   * Resume the parts the restored checkpoint left open (cut to their valid
   * length) and delete every other hidden part of this sink: those were
   * written after that checkpoint, which is where the job resumes from. The
   * committer has already finished the checkpoint's pending parts.
   *
   * First, though, the sink refuses to write again what it committed: when
   * its committed marker names a checkpoint newer than the restored one (the
   * newest checkpoints are gone from the store), or the job starts from
   * scratch beside finished parts of its own, unless the user set
   * `replayCommittedOutput`.
   */
  static async restore<T>(settings: WriterSettings<T>, prefix: string, context: SinkWriterContext<RollingFileWriterState>): Promise<RollingFileWriter<T>> {
    const { backend, directory } = settings;
    const names = new PartNames(directory, prefix, settings.partSuffix);
    const restored = context.restoredState;
    const restoredId = context.restoredCheckpointId;
    const listed = await backend.list(directory);
    const markers = names.committedMarkers(listed);
    const newestCommitted = Math.max(0, ...markers);
    const finished = listed.flatMap((relative) => {
      const part = names.parse(relative);
      return part?.stage === 'finished' ? [part] : [];
    });
    if (!context.replayCommittedOutput && (newestCommitted > restoredId || (restoredId === 0 && finished.length > 0))) {
      const committed =
        newestCommitted > 0
          ? `committed the part files of checkpoint ${newestCommitted} of job '${context.jobId}' (marker ${names.committedMarker(newestCommitted)})`
          : `holds ${finished.length} finished part file(s) of job '${context.jobId}' (${names.path(finished[0]!.bucket, finished[0]!.counter, 'finished')}${finished.length > 1 ? ', ...' : ''})`;
      const resume =
        restoredId > 0
          ? `the job resumes from checkpoint ${restoredId}: the newer checkpoints are gone from its snapshot store, or unreadable`
          : 'the job starts from scratch: its snapshot store has no checkpoint of it (its directory deleted, or a relative store directory seen from another working directory?)';
      throw new ResumeWouldDuplicateError(
        `rolling file sink ${directory} ${committed}, but ${resume}; going on would write that output again. ` +
          `Either point the job at the store that holds its checkpoints, or start over knowingly: move the job's part files away, ` +
          `or set checkpoints.replayCommittedOutput: true to write the output after checkpoint ${restoredId} again.`,
        newestCommitted,
        restoredId,
      );
    }
    const writer = new RollingFileWriter(settings, names, restored?.nextCounter ?? 0);
    const resumed = new Set<string>();
    try {
      // Replaying on purpose: forget what was committed after the restored checkpoint, or the next restore would refuse again.
      for (const id of markers) if (id > restoredId) await backend.delete(names.committedMarker(id));
      for (const part of restored?.inProgress ?? []) {
        const path = names.path(part.bucket, part.counter, 'inprogress');
        let size = await backend.size(path);
        if (size === undefined) {
          // Rolled after the checkpoint and made pending by a later barrier whose checkpoint never completed.
          const pending = names.path(part.bucket, part.counter, 'pending');
          if ((await backend.size(pending)) !== undefined) {
            await backend.rename(pending, path);
            size = await backend.size(path);
          } else if ((await backend.size(names.path(part.bucket, part.counter, 'finished'))) !== undefined) {
            // Finished by a later checkpoint (replayed on purpose): its first validLength bytes are committed; go on in a new part.
            continue;
          } else {
            throw new MissingPartFileError(
              `checkpoint ${restoredId} left part file ${path} in progress with ${part.validLength} bytes, but it is gone: those records are lost`,
              path,
            );
          }
        }
        if ((size ?? 0) < part.validLength) {
          // Growing it back would pad it with NUL bytes where records were.
          throw new MissingPartFileError(
            `checkpoint ${restoredId} left part file ${path} in progress with ${part.validLength} bytes, but it has only ${size} now: ` +
              `${part.validLength - (size ?? 0)} bytes of records are lost (was it truncated or rewritten by something else?)`,
            path,
          );
        }
        const partWriter = await backend.resume(path, part.validLength);
        writer.open.set(part.bucket, { ...part, size: part.validLength, lastWriteAt: settings.now(), writer: partWriter });
        resumed.add(path);
      }
      for (const relative of listed) {
        const part = names.parse(relative);
        if (!part) continue;
        const path = names.path(part.bucket, part.counter, part.stage);
        if (part.stage === 'finished') writer.nextCounter = Math.max(writer.nextCounter, part.counter + 1);
        else if (!resumed.has(path) && !(part.stage === 'pending' && resumed.has(names.path(part.bucket, part.counter, 'inprogress')))) await backend.delete(path);
      }
    } catch (error) {
      await writer.close();
      throw error;
    }
    return writer;
  }

  write(record: T): void | Promise<void> {
    const now = this.settings.now();
    const bucket = checkBucket(this.settings.bucketAssigner.bucketFor(record, now));
    const bytes = Buffer.from(`${this.settings.format(record)}\n`, 'utf8');
    const part = this.open.get(bucket);
    if (part) return this.append(part, bytes, now);
    return this.openPart(bucket, now).then((opened) => this.append(opened, bytes, now));
  }

  async prepareCommit(_checkpointId: number, final: boolean): Promise<PendingPartFile[]> {
    const now = this.settings.now();
    for (const part of [...this.open.values()]) {
      if (final || this.settings.rollingPolicy.shouldRollOnCheckpoint(part, now)) await this.roll(part);
      else await part.writer.persist();
    }
    const committables: PendingPartFile[] = [];
    for (const part of this.closed) {
      const pending = this.names.path(part.bucket, part.counter, 'pending');
      await this.settings.backend.rename(this.names.path(part.bucket, part.counter, 'inprogress'), pending);
      committables.push({ pending, finished: this.names.path(part.bucket, part.counter, 'finished'), marker: this.names.committedMarker() });
    }
    this.closed = [];
    this.state = {
      nextCounter: this.nextCounter,
      inProgress: [...this.open.values()].map(({ bucket, counter, size, openedAt }) => ({ bucket, counter, validLength: size, openedAt })),
    };
    return committables;
  }

  snapshotState(): RollingFileWriterState {
    if (!this.state) throw new Error('rollingFileSink: snapshotState called before prepareCommit');
    return this.state;
  }

  async close(): Promise<void> {
    this.shut = true;
    const parts = [...this.open.values()];
    this.open.clear();
    // Whatever was not persisted at a barrier is cut off by the next restore anyway.
    await Promise.allSettled(parts.map((p) => p.writer.abandon()));
  }

  private async openPart(bucket: string, now: number): Promise<OpenPart> {
    const counter = this.nextCounter++;
    const path = this.names.path(bucket, counter, 'inprogress');
    const writer = await this.settings.backend.create(path);
    if (this.shut) {
      // A write that was under way when the job went down: nothing may hold the file open after close().
      await writer.abandon();
      throw new Error(`rollingFileSink: part ${path} was opened after the writer was closed`);
    }
    const part: OpenPart = { bucket, counter, writer, size: 0, openedAt: now, lastWriteAt: now };
    this.open.set(bucket, part);
    return part;
  }

  private append(part: OpenPart, bytes: Buffer, now: number): void | Promise<void> {
    part.size += bytes.length;
    part.lastWriteAt = now;
    const written = part.writer.write(bytes);
    if (!this.settings.rollingPolicy.shouldRollOnWrite(part, now)) return written;
    return written ? written.then(() => this.roll(part)) : this.roll(part);
  }

  private async roll(part: OpenPart): Promise<void> {
    this.open.delete(part.bucket);
    await part.writer.close();
    this.closed.push(part);
  }
}
