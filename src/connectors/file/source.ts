import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Source, SourceOutput, SourceReader } from '../../contracts/source.js';
import { ConfigurationError } from '../../errors.js';
import { checkMaxLineLength, LineSplitter } from '../shared/line-splitter.js';
import type { RecordDecoder } from '../shared/decoders.js';
import { textLines } from '../shared/decoders.js';
import { LineTooLongError, MalformedRecordError } from '../shared/errors.js';
import { FileChangedError, FileReadError } from './errors.js';
import { globToRegExp } from './glob.js';

/** Where a file source is: what it finished and where the next record of the current file starts. */
export interface FilePosition {
  /** Files read to their end, in the order they were read. */
  readonly done: readonly string[];
  /** The file being read, if any. */
  readonly current: FileCursor | undefined;
}

/**
 * A byte offset in one particular file. The device and inode, and a hash of
 * the file's first bytes (inodes are reused, so a file deleted and written
 * again can have the same one), tell a replaced file from the original.
 */
export interface FileCursor {
  /** The file, as the source found it under its `path` option. */
  readonly path: string;
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
}

/** Options of {@link fileSource}. */
export interface FileSourceOptions<T> {
  /** A file, or a directory whose matching files are read in path order. */
  readonly path: string;
  /** When `path` is a directory: which files, as a glob on their path relative to it (`*.log`, `**\/*.txt`). Default every file. Names starting with `.` are always skipped (files being written, hidden in-progress parts). */
  readonly glob?: string;
  /** Turns each line into a record. Default {@link textLines}: strict UTF-8 strings. */
  readonly decoder?: RecordDecoder<T>;
  /** Records emitted before yielding to the event loop (so barriers and I/O get their turn). Default 1024. */
  readonly chunkSize?: number;
  /** Bytes per read. Default 65 536. */
  readonly readSize?: number;
  /** When set, the directory is listed again every this many ms for new files and the source never ends. */
  readonly monitorInterval?: number;
  /** Longest line accepted, in bytes; a longer one fails the job with a {@link LineTooLongError} naming the file and the line's offset. Default 16 MiB. */
  readonly maxLineLength?: number;
}

const hidden = /(^|\/)\./;
// Enough of a file's start to tell it from another file, cheap to read again on restore.
const headBytes = 1024;

/**
 * Reads files line by line, exactly-once: its position in a checkpoint is the
 * set of files finished plus the current file and the byte offset of its next
 * unread record, so a restored job seeks there and reads no record twice.
 * Each file is read once, up to the end it has when reached: write files
 * elsewhere and move them in. A file that shrinks, is replaced or disappears
 * while it is being read, or before a restore, fails the job with a
 * {@link FileChangedError}.
 */
export function fileSource(options: FileSourceOptions<string> & { readonly decoder?: undefined }): Source<string, 'exactly-once', 'deterministic'>;
export function fileSource<T>(options: FileSourceOptions<T> & { readonly decoder: RecordDecoder<T> }): Source<T, 'exactly-once', 'deterministic'>;
export function fileSource<T>(options: FileSourceOptions<T>): Source<T, 'exactly-once', 'deterministic'> {
  const settings = resolve(options);
  return {
    name: 'file',
    guarantee: 'exactly-once',
    replay: 'deterministic',
    createReader: ({ restoredPosition: restored }) => new FileReader(settings, restored as FilePosition | undefined),
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

interface OpenFile {
  readonly path: string;
  readonly handle: FileHandle;
  readonly dev: number;
  readonly ino: number;
  readonly headLength: number;
  readonly headSha256: string;
  readonly splitter: LineSplitter;
  /** Where the next read starts. */
  readOffset: number;
  /** Where the next unemitted record starts. */
  recordOffset: number;
}

class FileReader<T> implements SourceReader<T, FilePosition> {
  private readonly done: string[];
  private readonly doneSet: Set<string>;
  private restoredCursor: FileCursor | undefined;
  private queue: string[] = [];
  private file: OpenFile | undefined;
  private output: SourceOutput<T> | undefined;
  private paused = false;
  private closed = false;
  private running = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settings: Settings<T>,
    restored: FilePosition | undefined,
  ) {
    this.done = [...(restored?.done ?? [])];
    this.doneSet = new Set(this.done);
    this.restoredCursor = restored?.current;
  }

  start(output: SourceOutput<T>): void {
    this.output = output;
    void this.pump();
  }

  position(): FilePosition {
    const { file } = this;
    return {
      done: [...this.done],
      current: file ? { path: file.path, offset: file.recordOffset, dev: file.dev, ino: file.ino, headLength: file.headLength, headSha256: file.headSha256 } : this.restoredCursor,
    };
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    // Go on from the reader's own loop, a chunk at a time, like every other chunk.
    setImmediate(() => void this.pump());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    const file = this.file;
    this.file = undefined;
    await file?.handle.close();
  }

  // One pump at a time; it returns when paused, closed, finished or failed, and resume() restarts it.
  private async pump(): Promise<void> {
    const output = this.output;
    if (this.running || !output) return;
    this.running = true;
    try {
      while (!this.paused && !this.closed) {
        const file = this.file ?? (await this.openNext());
        if (this.closed) return;
        if (!file) {
          if (this.settings.monitorInterval === undefined) return output.complete();
          await this.sleep(this.settings.monitorInterval);
          continue;
        }
        if (this.emitLines(file, output) === this.settings.chunkSize) await new Promise(setImmediate);
        else if (!this.paused && !this.closed) await this.readMore(file, output);
      }
    } catch (error) {
      // The splitter does not know where it is; the line it refused starts at the current file's next record.
      const located = error instanceof LineTooLongError && this.file ? error.at(this.file.path, this.file.recordOffset) : error;
      if (!this.closed) output.error(located);
    } finally {
      this.running = false;
    }
  }

  private emitLines(file: OpenFile, output: SourceOutput<T>): number {
    let emitted = 0;
    while (emitted < this.settings.chunkSize && !this.paused && !this.closed) {
      const line = file.splitter.next();
      if (!line) break;
      this.emit(file, line, line.length + 1, output);
      emitted++;
    }
    return emitted;
  }

  private emit(file: OpenFile, line: Buffer, length: number, output: SourceOutput<T>): void {
    let record: T;
    try {
      record = this.settings.decoder.decode(line);
    } catch (cause) {
      throw new MalformedRecordError(file.path, file.recordOffset, cause);
    }
    file.recordOffset += length;
    output.next(record);
  }

  private async readMore(file: OpenFile, output: SourceOutput<T>): Promise<void> {
    const buffer = Buffer.allocUnsafe(this.settings.readSize);
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.handle.read(buffer, 0, buffer.length, file.readOffset));
    } catch (cause) {
      throw new FileReadError(file.path, cause);
    }
    if (this.closed) return;
    if (bytesRead > 0) {
      file.readOffset += bytesRead;
      file.splitter.push(buffer.subarray(0, bytesRead));
      return;
    }
    // The end as it is now: make sure it is the end of the same file, not of a truncated or replaced one.
    await checkUnchanged(file.path, file, file.readOffset);
    const last = file.splitter.rest();
    if (last) this.emit(file, last, last.length, output);
    this.file = undefined;
    this.done.push(file.path);
    this.doneSet.add(file.path);
    await file.handle.close();
  }

  private async openNext(): Promise<OpenFile | undefined> {
    const cursor = this.restoredCursor;
    if (cursor) {
      const file = await openAt(cursor.path, cursor.offset, cursor, this.settings.maxLineLength);
      this.restoredCursor = undefined;
      return this.adopt(file);
    }
    if (this.queue.length === 0) this.queue = (await this.list()).filter((p) => !this.doneSet.has(p));
    const path = this.queue.shift();
    return path === undefined ? undefined : this.adopt(await openAt(path, 0, undefined, this.settings.maxLineLength));
  }

  private async adopt(file: OpenFile): Promise<OpenFile | undefined> {
    if (this.closed) {
      await file.handle.close();
      return undefined;
    }
    return (this.file = file);
  }

  private async list(): Promise<string[]> {
    const { path, match } = this.settings;
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (cause) {
      throw new FileReadError(path, cause);
    }
    if (!isDirectory) return [path];
    let entries: string[];
    try {
      entries = await readdir(path, { recursive: true });
    } catch (cause) {
      throw new FileReadError(path, cause);
    }
    const files: string[] = [];
    for (const entry of entries.sort()) {
      const rel = entry.split(sep).join('/');
      if (hidden.test(rel) || (match && !match.test(rel))) continue;
      const full = join(path, entry);
      const info = await stat(full).catch(() => undefined);
      if (info?.isFile()) files.push(full);
    }
    return files;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

async function openAt(path: string, offset: number, expected: FileCursor | undefined, maxLineLength: number): Promise<OpenFile> {
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
    const headLength = expected?.headLength ?? Math.min(info.size, headBytes);
    const head = Buffer.alloc(headLength);
    const { bytesRead } = await handle.read(head, 0, headLength, 0);
    const headSha256 = createHash('sha256').update(head.subarray(0, bytesRead)).digest('hex');
    if (expected && (info.dev !== expected.dev || info.ino !== expected.ino || headSha256 !== expected.headSha256)) {
      throw new FileChangedError(`${path} was replaced by another file since the checkpoint stored a position in it`, path);
    }
    return { path, handle, dev: info.dev, ino: info.ino, headLength, headSha256, splitter: new LineSplitter(maxLineLength), readOffset: offset, recordOffset: offset };
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

