// Every connector of this package through the connector test kit of onceflow/testing.
import { test } from 'uvu';
import { mkdtemp, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { basePathBuckets, collectionSource, fileSink, fileSource, rollingFileSink, socketSink, socketSource, stdoutSink } from 'onceflow';
import { sinkTestCases, sourceTestCases } from 'onceflow/testing';
import type { ConnectorTestCase, SinkTestContext, SourceTestContext } from 'onceflow/testing';
import { runSeed, seededRandom } from '../../fault/random.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`connector kit seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

/** A scratch directory per case, for the file-based contexts. */
function scratch() {
  let dir = '';
  return {
    get dir(): string {
      return dir;
    },
    async setUp(): Promise<void> {
      dir = await mkdtemp(join(tmpdir(), 'onceflow-kit-'));
    },
    async tearDown(): Promise<void> {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const collection: string[] = [];
register(
  sourceTestCases<string>(
    {
      name: 'collectionSource',
      async setUp() {
        collection.length = 0;
      },
      async addSplit(lines) {
        collection.push(...lines);
      },
      createSource: () => collectionSource([...collection], { chunkSize: 7 }),
      text: (record) => record,
      discoversSplits: false,
      maxSplits: 1,
    },
    { random },
  ),
);

for (const monitoring of [false, true]) {
  const files = scratch();
  let splits = 0;
  const context: SourceTestContext<string> = {
    name: monitoring ? 'fileSource (monitoring a directory)' : 'fileSource (a directory)',
    async setUp() {
      splits = 0;
      await files.setUp();
    },
    tearDown: () => files.tearDown(),
    async addSplit(lines) {
      // Written elsewhere and moved in, as a monitored directory needs.
      const name = `split-${splits++}.txt`;
      await writeFile(join(files.dir, `.${name}`), `${lines.join('\n')}\n`);
      await rename(join(files.dir, `.${name}`), join(files.dir, name));
    },
    createSource: () => fileSource({ path: files.dir, chunkSize: 13, readSize: 512, ...(monitoring ? { monitorInterval: 10 } : {}) }),
    text: (record) => record,
    discoversSplits: monitoring,
  };
  register(sourceTestCases(context, { random }));
}

/** A line server for the socket source: each connection gets the lines not yet sent to an earlier one. */
function lineServer() {
  let server: Server | undefined;
  let port = 0;
  const pending: string[] = [];
  let current: Socket | undefined;
  const pump = (): void => {
    if (!current || current.destroyed) return;
    while (pending.length > 0) current.write(`${pending.shift()}\n`);
  };
  return {
    get port(): number {
      return port;
    },
    async setUp(): Promise<void> {
      pending.length = 0;
      server = createServer((socket) => {
        socket.on('error', () => {});
        current?.destroy();
        current = socket;
        pump();
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
    },
    async tearDown(): Promise<void> {
      current?.destroy();
      current = undefined;
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
    add(lines: readonly string[]): void {
      pending.push(...lines);
      pump();
    },
  };
}

const lines = lineServer();
register(
  sourceTestCases<string>(
    {
      name: 'socketSource',
      setUp: () => lines.setUp(),
      tearDown: () => lines.tearDown(),
      async addSplit(added) {
        lines.add(added);
      },
      createSource: () => socketSource({ host: '127.0.0.1', port: lines.port, chunkSize: 11, reconnect: { initialDelay: 5, maxDelay: 20 } }),
      text: (record) => record,
      discoversSplits: false,
      maxSplits: 1,
    },
    { random },
  ),
);

let printed = '';
register(
  sinkTestCases(
    {
      name: 'stdoutSink',
      async setUp() {
        printed = '';
      },
      createSink() {
        const stream = new PassThrough();
        stream.on('data', (chunk: Buffer) => (printed += chunk.toString()));
        return stdoutSink<string>({ stream });
      },
      read: async () => printed.split('\n').filter((l) => l !== ''),
    },
    { random },
  ),
);

const appended = scratch();
register(
  sinkTestCases(
    {
      name: 'fileSink',
      setUp: () => appended.setUp(),
      tearDown: () => appended.tearDown(),
      createSink: () => fileSink<string>({ path: join(appended.dir, 'out.txt'), bufferSize: 256 }),
      read: async () => (await readFile(join(appended.dir, 'out.txt'), 'utf8')).split('\n').filter((l) => l !== ''),
    },
    { random },
  ),
);

const rolled = scratch();
const sinkContext: SinkTestContext = {
  name: 'rollingFileSink',
  setUp: () => rolled.setUp(),
  tearDown: () => rolled.tearDown(),
  createSink: () => rollingFileSink<string>({ directory: rolled.dir, bucketAssigner: basePathBuckets() }),
  async read() {
    // What a reader of the directory sees: finished parts only.
    const finished = (await readdir(rolled.dir)).filter((name) => !name.startsWith('.')).sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
    const contents = await Promise.all(finished.map((name) => readFile(join(rolled.dir, name), 'utf8')));
    return contents.join('').split('\n').filter((l) => l !== '');
  },
};
register(sinkTestCases(sinkContext, { random }));

/** A server speaking the line-count protocol, keeping every line it took. */
function countingServer() {
  let server: Server | undefined;
  let port = 0;
  const taken: string[] = [];
  const sockets = new Set<Socket>();
  return {
    taken,
    get port(): number {
      return port;
    },
    async setUp(): Promise<void> {
      taken.length = 0;
      server = createServer((socket) => {
        sockets.add(socket);
        let buffered = '';
        let count = 0;
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
        socket.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const parts = buffered.split('\n');
          buffered = parts.pop() ?? '';
          for (const line of parts) {
            taken.push(line);
            count++;
          }
          if (!socket.destroyed) socket.write(`${count}\n`);
        });
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
    },
    async tearDown(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
  };
}

const counting = countingServer();
register(
  sinkTestCases(
    {
      name: "socketSink({ acknowledgements: 'line-count' })",
      setUp: () => counting.setUp(),
      tearDown: () => counting.tearDown(),
      createSink: () => socketSink<string>({ host: '127.0.0.1', port: counting.port, acknowledgements: 'line-count' }),
      read: async () => [...counting.taken],
    },
    { random },
  ),
);

test.run();
