import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigurationError } from '../../errors.js';
import type { PartFileWriter, RollingFileBackend } from './backend.js';
import { RollingFileError } from './errors.js';

/** Options of {@link webhdfsBackend}. */
export interface WebHdfsBackendOptions {
  /** The NameNode's HTTP address, e.g. `http://127.0.0.1:9870`. */
  readonly url: string;
  /** HDFS user (the `user.name` of simple authentication). Default `$USER`, else `onceflow`. */
  readonly user?: string;
  /** Bytes gathered in memory before they are appended. Default 4 MiB. */
  readonly bufferSize?: number;
  /** How long to keep retrying while HDFS recovers a file's lease or last block (after a crash mid-append, or a truncate). Default 120 000 ms. */
  readonly recoveryTimeout?: number;
}

interface RemoteException {
  readonly exception?: string;
  readonly message?: string;
}

/** What the NameNode or a DataNode answered with an error status. */
class WebHdfsError extends Error {
  override readonly name = 'WebHdfsError';
  constructor(
    readonly status: number,
    readonly exception: string,
    message: string,
  ) {
    super(`HTTP ${status} ${exception}: ${message}`);
  }
}

// While HDFS recovers a lease or a block, appends and truncates are refused for a while, then work.
const recovering = new Set(['RecoveryInProgressException', 'AlreadyBeingCreatedException', 'LeaseExpiredException']);

/**
 * HDFS through its WebHDFS REST API (Hadoop 3): part files are created with
 * `op=CREATE`, their buffered data appended with `op=APPEND` at each
 * checkpoint (each append is closed, so the NameNode counts its bytes in the
 * file's length), renamed with `op=RENAME`, and cut to their valid length on
 * restore with `op=TRUNCATE`, waiting out the block recovery it may start.
 */
export function webhdfsBackend(options: WebHdfsBackendOptions): RollingFileBackend {
  const { bufferSize = 4 * 1024 * 1024, recoveryTimeout = 120_000 } = options;
  let base: URL;
  try {
    base = new URL(options.url);
  } catch (cause) {
    throw new ConfigurationError(`webhdfsBackend url must be an http(s) URL, got '${options.url}'`, { cause });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ConfigurationError(`webhdfsBackend url must be an http(s) URL, got '${options.url}'`);
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new ConfigurationError(`webhdfsBackend bufferSize must be a whole number >= 1, got ${bufferSize}`);
  if (!(recoveryTimeout >= 0)) throw new ConfigurationError(`webhdfsBackend recoveryTimeout must be >= 0 ms, got ${recoveryTimeout}`);
  const user = options.user ?? process.env.USER ?? 'onceflow';
  const display = (path: string): string => `webhdfs://${base.host}${path}`;

  function endpoint(path: string, op: string, params: Record<string, string> = {}): string {
    if (!path.startsWith('/')) throw new ConfigurationError(`webhdfsBackend paths must be absolute, got '${path}': give rollingFileSink an absolute directory`);
    const url = new URL(`/webhdfs/v1${path.split('/').map(encodeURIComponent).join('/')}`, base);
    url.search = new URLSearchParams({ op, 'user.name': user, ...params }).toString();
    return url.toString();
  }

  async function failure(response: Response): Promise<WebHdfsError> {
    return parseFailure(response.status, response.statusText, await response.text());
  }

  function parseFailure(status: number, statusText: string, text: string): WebHdfsError {
    let remote: RemoteException = {};
    try {
      remote = (JSON.parse(text) as { RemoteException?: RemoteException }).RemoteException ?? {};
    } catch {
      remote = { message: text.slice(0, 200) };
    }
    return new WebHdfsError(status, remote.exception ?? 'Error', remote.message ?? statusText);
  }

  // DataNodes answer uploads with an unasked-for "100 Continue", which fetch (undici) rejects as a bad
  // response; node:http skips informational responses as it should.
  function upload(method: string, location: string, body: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const send = location.startsWith('https:') ? httpsRequest : httpRequest;
      const req = send(location, { method, headers: { 'content-type': 'application/octet-stream', 'content-length': body.byteLength } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(parseFailure(status, res.statusMessage ?? '', Buffer.concat(chunks).toString('utf8')));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function request(method: string, url: string): Promise<Response> {
    const response = await fetch(url, { method });
    if (!response.ok) throw await failure(response);
    return response;
  }

  // CREATE and APPEND: the NameNode redirects to a DataNode, which takes the data.
  async function write(method: string, url: string, body: Uint8Array): Promise<void> {
    const redirect = await fetch(url, { method, redirect: 'manual' });
    const location = redirect.headers.get('location');
    if (redirect.status !== 307 || !location) throw redirect.ok ? new WebHdfsError(redirect.status, 'Error', 'expected a redirect to a DataNode') : await failure(redirect);
    await redirect.arrayBuffer();
    await upload(method, location, body);
  }

  async function attempt<R>(operation: string, path: string, action: () => Promise<R>): Promise<R> {
    const deadline = Date.now() + recoveryTimeout;
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        return await action();
      } catch (cause) {
        if (cause instanceof WebHdfsError && recovering.has(cause.exception) && Date.now() + delay < deadline) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        // Server errors and network failures may pass; a refusal (4xx) will be refused again.
        const retriable = !(cause instanceof WebHdfsError) || cause.status >= 500 || recovering.has(cause.exception);
        throw new RollingFileError(operation, display(path), cause, retriable);
      }
    }
  }

  async function boolean(response: Response): Promise<boolean> {
    return ((await response.json()) as { boolean?: boolean }).boolean === true;
  }

  async function size(path: string): Promise<number | undefined> {
    return attempt('stat', path, async () => {
      try {
        const response = await request('GET', endpoint(path, 'GETFILESTATUS'));
        const status = ((await response.json()) as { FileStatus?: { length?: number; type?: string } }).FileStatus;
        return status?.type === 'FILE' ? (status.length ?? 0) : undefined;
      } catch (error) {
        if (error instanceof WebHdfsError && error.exception === 'FileNotFoundException') return undefined;
        throw error;
      }
    });
  }

  const append = (path: string, bytes: Uint8Array): Promise<void> => attempt('write', path, () => write('POST', endpoint(path, 'APPEND'), bytes));

  return {
    name: 'webhdfs',
    async create(path) {
      await attempt('create', path, () => write('PUT', endpoint(path, 'CREATE', { overwrite: 'true' }), new Uint8Array(0)));
      return new WebHdfsPartWriter(path, bufferSize, append);
    },
    async resume(path, length) {
      await attempt('truncate', path, async () => {
        const current = await size(path);
        if (current === length) return;
        if (current === undefined || current < length) {
          throw new WebHdfsError(409, 'TruncateError', `${path} has ${current ?? 'no'} bytes, fewer than the ${length} to keep`);
        }
        const done = await boolean(await request('POST', endpoint(path, 'TRUNCATE', { newlength: String(length) })));
        // false: HDFS is recovering the last block; appends are refused until it has.
        if (!done) throw new WebHdfsError(503, 'RecoveryInProgressException', `truncating ${path} to ${length} bytes`);
      });
      return new WebHdfsPartWriter(path, bufferSize, append);
    },
    size,
    async rename(from, to) {
      await attempt('rename', from, async () => {
        const response = await request('PUT', endpoint(from, 'RENAME', { destination: to }));
        if (!(await boolean(response))) throw new WebHdfsError(409, 'RenameRefused', `${from} -> ${to} (source missing or target exists)`);
      });
    },
    async delete(path) {
      await attempt('delete', path, async () => {
        await (await request('DELETE', endpoint(path, 'DELETE', { recursive: 'false' }))).arrayBuffer();
      });
    },
    async list(directory) {
      const files: string[] = [];
      const walk = async (relative: string): Promise<void> => {
        const path = relative ? `${directory}/${relative}` : directory;
        let statuses: { pathSuffix: string; type: string }[];
        try {
          const response = await request('GET', endpoint(path, 'LISTSTATUS'));
          statuses = ((await response.json()) as { FileStatuses: { FileStatus: { pathSuffix: string; type: string }[] } }).FileStatuses.FileStatus;
        } catch (error) {
          if (error instanceof WebHdfsError && error.exception === 'FileNotFoundException' && relative === '') return;
          throw error;
        }
        for (const status of statuses) {
          const child = relative ? `${relative}/${status.pathSuffix}` : status.pathSuffix;
          if (status.type === 'DIRECTORY') await walk(child);
          else files.push(child);
        }
      };
      await attempt('list', directory, () => walk(''));
      return files;
    },
  };
}

class WebHdfsPartWriter implements PartFileWriter {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(
    private readonly path: string,
    private readonly bufferSize: number,
    private readonly append: (path: string, bytes: Uint8Array) => Promise<void>,
  ) {}

  write(bytes: Uint8Array): void | Promise<void> {
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= this.bufferSize) return this.persist();
  }

  async persist(): Promise<void> {
    if (this.buffered === 0) return;
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    await this.append(this.path, bytes);
  }

  close(): Promise<void> {
    return this.persist();
  }

  async abandon(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
  }
}
