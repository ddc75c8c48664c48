import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, opendir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FetchResult, RecordBatch, Source, SourceSplit, SplitAssignment, SplitEnumerator, SplitEnumeratorInit, SplitReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';
import type { RecordDecoder } from '../shared/decoders.js';
import { textLines } from '../shared/decoders.js';
import { staticSplitEnumerator } from '../shared/enumerators.js';
import { LineTooLongError, MalformedRecordError } from '../shared/errors.js';
import { checkMaxLineLength, LineSplitter } from '../shared/line-splitter.js';
import { FileChangedError, FileReadError } from './errors.js';
import { globToRegExp } from './glob.js';

/** One file to read: a split of a file source. */
export interface FileSplit extends SourceSplit {
  /** The file, as the source found it under its `path` option. */
  readonly path: string;
}

/**
 * Where the next record of a file starts, and which file that is. The device
 * and inode, and hashes of the file's first bytes and of the bytes just
 * before the offset (inodes are reused, and a file can be rewritten in
 * place), tell a replaced or rewritten file from the original.
 */
export interface FilePosition {
  /** Byte offset of the next unread record. */
  readonly offset: number;
  /** Device id of the file system holding it. */
  readonly dev: number;
  /** Its inode number. */
  readonly ino: number;
  /** How many of the file's first bytes {@link headSha256} covers. */
  readonly headLength: number;
  /** SHA-256 (hex) of the file's first {@link headLength} bytes. */
  readonly headSha256: string;
  /** How many bytes just before {@link offset} {@link tailSha256} covers: the end of the last record read, up to 1 KiB. */
  readonly tailLength: number;
  /** SHA-256 (hex) of those bytes: a file rewritten in place fails to match. */
  readonly tailSha256: string;
}

/** What a monitoring file source stores besides the splits it has assigned: files seen, and files found but not assigned yet. */
export interface FileEnumeratorState {
  /** Found, not yet handed to the reader, in reading order. */
  readonly pending: readonly FileSplit[];
  /** Files found so far that are still there, by identity: a file that reuses a name later is a new file. */
  readonly seen: readonly FileIdentity[];
}

/** A file found by a monitoring source. */
export interface FileIdentity {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** How many of the file's first bytes {@link headSha256} covers. */
  readonly headLength: number;
  readonly headSha256: string;
}

/** Options of {@link fileSource}. */
export interface FileSourceOptions<T> {
  /** A file, or a directory whose matching files are read in path order. */
  readonly path: string;
  /** When `path` is a directory: which files, as a glob on their path relative to it (`*.log`, `**\/*.txt`). Default every file. Names starting with `.` are always skipped (files being written, hidden in-progress parts). */
  readonly glob?: string;
  /** Turns each line into a record. Default {@link textLines}: strict UTF-8 strings. */
  readonly decoder?: RecordDecoder<T>;
  /** Records a fetch returns at most. Default 1024. */
  readonly chunkSize?: number;
  /** Bytes per read. Default 65 536. */
  readonly readSize?: number;
  /** When set, the directory is listed again every this many ms for new files and the source never ends. */
  readonly monitorInterval?: number;
  /** Longest line accepted, in bytes; a longer one fails the job with a {@link LineTooLongError} naming the file and the line's offset. Default 16 MiB. */
  readonly maxLineLength?: number;
}

const hidden = /(^|\/)\./;
// Enough of a file's start (and of what was read last) to tell it from another file, cheap to read again.
const fingerprintBytes = 1024;

/**
 * Reads files line by line, exactly-once. Each file is a split, read in path
 * order, one after another (so a replay gives the same records in the same
 * order: deterministic); its position in a checkpoint is the byte offset of
 * its next unread record with the file's identity, and a restored job seeks
 * there. Finished files leave the checkpoint. Each file is read once, up to
 * the end it has when reached: write files elsewhere and move them in. A file
 * that shrinks, is replaced, is rewritten or disappears while it is being read,
 * or before a restore, fails the job with a {@link FileChangedError}.
 *
 * With `monitorInterval` the directory is listed again for new files; a file
 * whose name was read before but that is another file now (another inode, or
 * other first bytes) is read as a new file.
 */
export function fileSource(options: FileSourceOptions<string> & { readonly decoder?: undefined }): Source<string, 'exactly-once', 'deterministic', FileSplit, FilePosition>;
export function fileSource<T>(options: FileSourceOptions<T> & { readonly decoder: RecordDecoder<T> }): Source<T, 'exactly-once', 'deterministic', FileSplit, FilePosition>;
export function fileSource<T>(options: FileSourceOptions<T>): Source<T, 'exactly-once', 'deterministic', FileSplit, FilePosition> {
  const settings = resolve(options);
  return {
    name: 'file',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createEnumerator: (init: SplitEnumeratorInit<FileSplit, unknown>) =>
      settings.monitorInterval === undefined
        ? staticSplitEnumerator(init, async () => (await listFiles(settings)).map(toSplit), { oneAtATime: true })
        : new MonitoringEnumerator(settings, settings.monitorInterval, init as SplitEnumeratorInit<FileSplit, FileEnumeratorState>),
    createReader: () => new FileReader(settings),
  };
}

interface Settings<T> {
  readonly path: string;
  readonly match: RegExp | undefined;
  readonly decoder: RecordDecoder<T>;
  readonly chunkSize: number;
  readonly readSize: number;
  readonly monitorInterval: number | undefined;
  readonly maxLineLength: number;
}

function resolve<T>(options: FileSourceOptions<T>): Settings<T> {
  const { path, glob, chunkSize = 1024, readSize = 65_536, monitorInterval } = options;
  if (typeof path !== 'string' || path.length === 0) throw new ConfigurationError('fileSource path must be a non-empty string');
  if (glob !== undefined && (typeof glob !== 'string' || glob.length === 0)) throw new ConfigurationError('fileSource glob must be a non-empty string');
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ConfigurationError(`fileSource chunkSize must be a whole number >= 1, got ${chunkSize}`);
  if (!Number.isInteger(readSize) || readSize < 1) throw new ConfigurationError(`fileSource readSize must be a whole number >= 1, got ${readSize}`);
  if (monitorInterval !== undefined && !(monitorInterval > 0)) throw new ConfigurationError(`fileSource monitorInterval must be > 0 ms, got ${monitorInterval}`);
  return {
    path,
    match: glob === undefined ? undefined : globToRegExp(glob),
    decoder: (options.decoder ?? textLines()) as RecordDecoder<T>,
    chunkSize,
    readSize,
    monitorInterval,
    maxLineLength: checkMaxLineLength('fileSource', options.maxLineLength),
  };
}

function toSplit(path: string): FileSplit {
  return { splitId: path, path };
}

/**
 * The files under the source's path, in path order: the path itself when it
 * is a file. Directories are walked by their real paths, once each, so a
 * symbolic link back to a parent cannot make a file be listed again.
 */
async function listFiles(settings: Settings<unknown>): Promise<string[]> {
  const { path, match } = settings;
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new FileReadError(path, cause);
  }
  if (!info.isDirectory()) return [path];
  const files: string[] = [];
  const walked = new Set<string>();
  const filesSeen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(dir);
    } catch (cause) {
      throw new FileReadError(dir, cause);
    }
    if (walked.has(real)) return;
    walked.add(real);
    let entries;
    try {
      entries = [];
      for await (const entry of await opendir(dir)) entries.push(entry);
    } catch (cause) {
      throw new FileReadError(dir, cause);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, entry.name);
      const rel = relative(path, full).split(sep).join('/');
      if (hidden.test(rel)) continue;
      // A link is followed once: to a directory, as a directory not yet walked; to a file, as a file not yet listed.
      const target = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : entry;
      if (!target) continue;
      if (target.isDirectory()) {
        await walk(full);
      } else if (target.isFile() && (!match || match.test(rel))) {
        const realFile = await realpath(full).catch(() => full);
        if (filesSeen.has(realFile)) continue;
        filesSeen.add(realFile);
        files.push(full);
      }
    }
  };
  await walk(path);
  return files.sort();
}

async function identify(path: string): Promise<FileIdentity | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    // Gone between listing and opening: it is not there to read.
    return undefined;
  }
  try {
    const info = await handle.stat();
    const headLength = Math.min(info.size, fingerprintBytes);
    return { path, dev: info.dev, ino: info.ino, headLength, headSha256: await hashRange(handle, 0, headLength) };
  } finally {
    await handle.close();
  }
}

/** Lists a directory every `interval` ms and hands new files to the reader one at a time, in path order. */
class MonitoringEnumerator implements SplitEnumerator<FileSplit, FileEnumeratorState> {
  private pending: FileSplit[];
  private seen: Map<string, FileIdentity>;
  private waiting = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly context: SplitEnumeratorInit<FileSplit, FileEnumeratorState>['context'];

  constructor(
    private readonly settings: Settings<unknown>,
    private readonly interval: number,
    { context, restoredState }: SplitEnumeratorInit<FileSplit, FileEnumeratorState>,
  ) {
    this.context = context;
    this.pending = [...(restoredState?.pending ?? [])];
    this.seen = new Map((restoredState?.seen ?? []).map((identity) => [identity.path, identity]));
  }

  async start(): Promise<void> {
    await this.discover();
    this.scheduleDiscovery();
  }

  handleSplitRequest(): void {
    const next = this.pending.shift();
    if (next) this.context.assignSplits([next]);
    else this.waiting = true;
  }

  snapshotState(): FileEnumeratorState {
    return { pending: [...this.pending], seen: [...this.seen.values()] };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private scheduleDiscovery(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.discover().then(
        () => this.scheduleDiscovery(),
        (error: unknown) => this.context.fail(error),
      );
    }, this.interval);
  }

  private async discover(): Promise<void> {
    const paths = await listFiles(this.settings);
    const present = new Set(paths);
    // Files no longer there cannot come back as themselves: forgetting them keeps the state as small as the directory.
    for (const path of this.seen.keys()) if (!present.has(path)) this.seen.delete(path);
    for (const path of paths) {
      const identity = await identify(path);
      if (this.closed || !identity) continue;
      const known = this.seen.get(path);
      if (known && (await sameFile(known, path))) continue;
      this.seen.set(path, identity);
      // A reused name is another file: its split id tells the two reads apart.
      this.pending.push({ splitId: known ? `${path}#${identity.dev}:${identity.ino}:${identity.headSha256.slice(0, 16)}` : path, path });
    }
    if (this.waiting && this.pending.length > 0) {
      this.waiting = false;
      this.handleSplitRequest();
    }
  }
}

async function sameFile(known: FileIdentity, path: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const info = await handle.stat();
    if (info.dev !== known.dev || info.ino !== known.ino || info.size < known.headLength) return false;
    return (await hashRange(handle, 0, known.headLength)) === known.headSha256;
  } finally {
    await handle.close();
  }
}

async function hashRange(handle: FileHandle, from: number, length: number): Promise<string> {
  const bytes = Buffer.alloc(length);
  const { bytesRead } = await handle.read(bytes, 0, length, from);
  return createHash('sha256').update(bytes.subarray(0, bytesRead)).digest('hex');
}

interface OpenFile {
  readonly split: FileSplit;
  readonly handle: FileHandle;
  readonly dev: number;
  readonly ino: number;
  readonly headLength: number;
  readonly headSha256: string;
  readonly splitter: LineSplitter;
  /** Where the next read starts. */
  readOffset: number;
  /** Where the next unfetched record starts. */
  recordOffset: number;
}

const nothing: FetchResult<never, FilePosition> = { batches: [], finished: [] };
const newlineByte = Buffer.from('\n');

/** A record's line as read: its bytes (a view, not a copy), whether a newline ended it, and the offset after it. */
interface Line {
  readonly bytes: Buffer;
  readonly terminated: boolean;
  readonly end: number;
}

function batchOf<T>(file: OpenFile, records: T[], lines: readonly Line[]): RecordBatch<T, FilePosition> {
  const { dev, ino, headLength, headSha256 } = file;
  return {
    splitId: file.split.splitId,
    records,
    positionAfter: (index) => {
      const line = lines[index] as Line;
      const tail = line.terminated ? Buffer.concat([line.bytes, newlineByte]) : line.bytes;
      const covered = tail.subarray(Math.max(0, tail.length - fingerprintBytes));
      return { offset: line.end, dev, ino, headLength, headSha256, tailLength: covered.length, tailSha256: createHash('sha256').update(covered).digest('hex') };
    },
  };
}

/** Reads the files it is given, one after another, a fetch at a time. */
class FileReader<T> implements SplitReader<T, FileSplit, FilePosition> {
  private readonly queue: SplitAssignment<FileSplit, FilePosition>[] = [];
  private file: OpenFile | undefined;
  private closed = false;
  // A record that failed to decode after good ones in the same fetch: those go out first, then this fails the source.
  private failure: unknown;

  constructor(private readonly settings: Settings<T>) {}

  addSplits(splits: readonly SplitAssignment<FileSplit, FilePosition>[]): void {
    this.queue.push(...splits);
  }

  async fetch(): Promise<FetchResult<T, FilePosition>> {
    if (this.failure !== undefined) throw this.failure;
    const file = this.file ?? (await this.openNext());
    if (!file || this.closed) return nothing;
    const records: T[] = [];
    // The bytes of each record's line, from which positions are made only when a checkpoint asks.
    const lines: Line[] = [];
    try {
      return await this.read(file, records, lines);
    } catch (caught) {
      // The splitter does not know where it is; the line it refused starts at the file's next record.
      const error = caught instanceof LineTooLongError ? caught.at(file.split.path, file.recordOffset) : caught;
      if (records.length === 0) throw error;
      this.failure = error;
      return { batches: [batchOf(file, records, lines)], finished: [] };
    }
  }

  private async read(file: OpenFile, records: T[], lines: Line[]): Promise<FetchResult<T, FilePosition>> {
    const { chunkSize } = this.settings;
    for (;;) {
      for (let line = file.splitter.next(); line && records.length < chunkSize; line = records.length < chunkSize ? file.splitter.next() : undefined) {
        records.push(this.decode(file, line, line.length + 1, lines));
      }
      if (records.length > 0) return { batches: [batchOf(file, records, lines)], finished: [] };
      if (!(await this.readMore(file))) break;
      if (this.closed) return nothing;
    }
    // The end as it is now: make sure it is the end of the same file, not of a truncated or replaced one.
    await checkUnchanged(file.split.path, file, file.readOffset);
    const last = file.splitter.rest();
    if (last) records.push(this.decode(file, last, last.length, lines));
    this.file = undefined;
    await file.handle.close();
    return { batches: records.length > 0 ? [batchOf(file, records, lines)] : [], finished: [file.split.splitId] };
  }

  wakeUp(): void {}

  async close(): Promise<void> {
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await file?.handle.close();
  }

  private decode(file: OpenFile, line: Buffer, length: number, lines: Line[]): T {
    let record: T;
    try {
      record = this.settings.decoder.decode(line);
    } catch (cause) {
      throw new MalformedRecordError(file.split.path, file.recordOffset, cause);
    }
    file.recordOffset += length;
    lines.push({ bytes: line, terminated: length > line.length, end: file.recordOffset });
    return record;
  }

  /** Read the next chunk into the splitter; false at the end of the file. */
  private async readMore(file: OpenFile): Promise<boolean> {
    const buffer = Buffer.allocUnsafe(this.settings.readSize);
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.handle.read(buffer, 0, buffer.length, file.readOffset));
    } catch (cause) {
      throw new FileReadError(file.split.path, cause);
    }
    if (bytesRead === 0) return false;
    file.readOffset += bytesRead;
    file.splitter.push(buffer.subarray(0, bytesRead));
    return true;
  }

  private async openNext(): Promise<OpenFile | undefined> {
    const next = this.queue.shift();
    if (!next) return undefined;
    const file = await openAt(next.split, next.position, this.settings.maxLineLength);
    if (this.closed) {
      await file.handle.close();
      return undefined;
    }
    return (this.file = file);
  }
}

async function openAt(split: FileSplit, expected: FilePosition | undefined, maxLineLength: number): Promise<OpenFile> {
  const { path } = split;
  const offset = expected?.offset ?? 0;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    if (expected && (cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FileChangedError(`${path} disappeared: the checkpoint stored a position at byte ${offset} in it`, path);
    }
    throw new FileReadError(path, cause);
  }
  try {
    const info = await handle.stat();
    if (info.size < offset) throw new FileChangedError(`${path} shrank to ${info.size} bytes, below the stored position ${offset}`, path);
    const headLength = expected?.headLength ?? Math.min(info.size, fingerprintBytes);
    const headSha256 = await hashRange(handle, 0, headLength);
    if (expected && (info.dev !== expected.dev || info.ino !== expected.ino || headSha256 !== expected.headSha256)) {
      throw new FileChangedError(`${path} was replaced by another file since the checkpoint stored a position in it`, path);
    }
    if (expected && (await hashRange(handle, offset - expected.tailLength, expected.tailLength)) !== expected.tailSha256) {
      throw new FileChangedError(`${path} was rewritten since the checkpoint stored a position at byte ${offset} in it: the bytes before that position differ`, path);
    }
    return { split, handle, dev: info.dev, ino: info.ino, headLength, headSha256, splitter: new LineSplitter(maxLineLength), readOffset: offset, recordOffset: offset };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function checkUnchanged(path: string, file: { dev: number; ino: number }, offset: number): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new FileChangedError(`${path} disappeared while being read`, path);
    throw new FileReadError(path, cause);
  }
  if (info.dev !== file.dev || info.ino !== file.ino) throw new FileChangedError(`${path} was replaced by another file while being read`, path);
  if (info.size < offset) throw new FileChangedError(`${path} shrank to ${info.size} bytes while being read, below byte ${offset} already read`, path);
}
