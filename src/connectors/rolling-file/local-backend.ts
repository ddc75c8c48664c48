import { mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { BufferedFileWriter } from '../shared/buffered-writer.js';
import { isTransientIoError } from '../shared/errors.js';
import type { RollingFileBackend } from './backend.js';
import { RollingFileError } from './errors.js';

/** Options of {@link localBackend}. */
export interface LocalBackendOptions {
  /** Bytes gathered in memory before they are written to the file. Default 65 536. */
  readonly bufferSize?: number;
}

function fail(operation: string, path: string, cause: unknown): RollingFileError {
  return new RollingFileError(operation, path, cause, isTransientIoError(cause));
}

async function attempt<R>(operation: string, path: string, action: () => Promise<R>): Promise<R> {
  try {
    return await action();
  } catch (cause) {
    throw fail(operation, path, cause);
  }
}

// A rename or a new file is durable only once its directory entry is: fsync the directory.
async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * The local file system (the default backend): part files are written through
 * a buffer, fsynced on checkpoints and truncated to their valid length on
 * restore with `truncate(2)`.
 */
export function localBackend(options: LocalBackendOptions = {}): RollingFileBackend {
  const bufferSize = options.bufferSize ?? 65_536;
  return {
    name: 'local',
    async create(path) {
      await attempt('create', path, () => mkdir(dirname(path), { recursive: true }));
      const handle = await attempt('create', path, () => open(path, 'w'));
      return new BufferedFileWriter(handle, bufferSize, (operation, cause) => fail(operation, path, cause));
    },
    async resume(path, length) {
      await attempt('truncate', path, () => truncate(path, length));
      const handle = await attempt('create', path, () => open(path, 'a'));
      return new BufferedFileWriter(handle, bufferSize, (operation, cause) => fail(operation, path, cause));
    },
    async size(path) {
      try {
        return (await stat(path)).size;
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw fail('stat', path, cause);
      }
    },
    async rename(from, to) {
      await attempt('rename', from, async () => {
        await rename(from, to);
        await syncDirectory(dirname(to));
      });
    },
    async delete(path) {
      await attempt('delete', path, () => rm(path, { force: true }));
    },
    async list(directory) {
      try {
        const entries = await readdir(directory, { recursive: true, withFileTypes: true });
        return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(directory.length + 1).split(sep).join('/'));
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw fail('list', directory, cause);
      }
    },
  };
}
