import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonCodec, structuredCloneCodec } from './codec.js';
import type { Checkpoint, LatestCheckpoint, SnapshotCodec, SnapshotStore } from './store.js';
import { ConfigurationError, CorruptCheckpointError } from '../errors.js';

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /** Directory holding one folder per job. Default `.onceflow/checkpoints`. */
  readonly directory?: string;
  /** Checkpoints kept per job; older ones are deleted after each save. Default 3. */
  readonly retain?: number;
  /** Serialization. Default JSON. */
  readonly codec?: SnapshotCodec;
}

interface Header {
  readonly format: 'onceflow-checkpoint';
  readonly version: 1;
  readonly codec: string;
  readonly length: number;
  readonly sha256: string;
}

const fileName = /^chk-(\d+)\.ckpt$/;
const knownCodecs = [jsonCodec, structuredCloneCodec];

/**
 * Keeps checkpoints as files, one per checkpoint: a JSON header line with the
 * body's length and SHA-256, then the body. A save writes a temporary file,
 * fsyncs it, renames it into place and fsyncs the folder, so a crash leaves
 * either the whole checkpoint or none; a torn or altered file fails its
 * checksum on read and the one before it is used.
 */
export function fileStore(options: FileStoreOptions = {}): SnapshotStore {
  const directory = options.directory ?? join('.onceflow', 'checkpoints');
  const retain = options.retain ?? 3;
  const codec = options.codec ?? jsonCodec;
  if (!Number.isInteger(retain) || retain < 1) throw new ConfigurationError(`fileStore retain must be a whole number >= 1, got ${retain}`);
  const jobDirectory = (jobId: string): string => join(directory, jobId);

  async function checkpointsOf(jobId: string): Promise<{ id: number; path: string }[]> {
    let names: string[];
    try {
      names = await readdir(jobDirectory(jobId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .flatMap((name) => {
        const match = fileName.exec(name);
        return match ? [{ id: Number(match[1]), path: join(jobDirectory(jobId), name) }] : [];
      })
      .sort((a, b) => b.id - a.id);
  }

  async function read(path: string): Promise<Checkpoint> {
    const bytes = await readFile(path);
    const newline = bytes.indexOf(0x0a);
    let header: Header;
    try {
      header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Header;
    } catch (cause) {
      throw new CorruptCheckpointError(`checkpoint ${path} has no readable header`, path, { cause });
    }
    const body = bytes.subarray(newline + 1);
    if (header.format !== 'onceflow-checkpoint' || header.version !== 1) {
      throw new CorruptCheckpointError(`checkpoint ${path} is not an onceflow checkpoint (format ${header.format} v${header.version})`, path);
    }
    if (body.byteLength !== header.length) {
      throw new CorruptCheckpointError(`checkpoint ${path} is truncated: ${body.byteLength} of ${header.length} bytes`, path);
    }
    if (createHash('sha256').update(body).digest('hex') !== header.sha256) {
      throw new CorruptCheckpointError(`checkpoint ${path} fails its SHA-256 checksum`, path);
    }
    const bodyCodec = knownCodecs.find((c) => c.name === header.codec) ?? (codec.name === header.codec ? codec : undefined);
    if (!bodyCodec) throw new CorruptCheckpointError(`checkpoint ${path} uses codec '${header.codec}', which this store does not have`, path);
    try {
      return bodyCodec.decode(body);
    } catch (cause) {
      throw new CorruptCheckpointError(`checkpoint ${path} cannot be decoded with codec '${header.codec}'`, path, { cause });
    }
  }

  return {
    async save(checkpoint: Checkpoint): Promise<number> {
      const dir = jobDirectory(checkpoint.jobId);
      await mkdir(dir, { recursive: true });
      const body = codec.encode(checkpoint);
      const header: Header = {
        format: 'onceflow-checkpoint',
        version: 1,
        codec: codec.name,
        length: body.byteLength,
        sha256: createHash('sha256').update(body).digest('hex'),
      };
      const final = join(dir, `chk-${checkpoint.checkpointId}.ckpt`);
      const temporary = `${final}.${process.pid}.tmp`;
      const file = await open(temporary, 'w');
      try {
        await file.writev([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body]);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, final);
      const folder = await open(dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      const older = (await checkpointsOf(checkpoint.jobId)).slice(retain);
      await Promise.all(older.map((c) => rm(c.path, { force: true })));
      return body.byteLength;
    },

    async latest(jobId: string): Promise<LatestCheckpoint> {
      const corrupt: CorruptCheckpointError[] = [];
      for (const { path } of await checkpointsOf(jobId)) {
        try {
          return { checkpoint: await read(path), corrupt };
        } catch (error) {
          if (!(error instanceof CorruptCheckpointError)) throw error;
          corrupt.push(error);
        }
      }
      return { checkpoint: undefined, corrupt };
    },
  };
}
