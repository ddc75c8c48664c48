// What the socket fault tests share: a server of the test's own on 127.0.0.1,
// and a job run in a child process whose exit the test checks.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `work`, or a failure naming `what` if it has not settled within `ms`: for waits that hang without the fix under test. */
export function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms)));
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Listen on 127.0.0.1 at a free port. */
export async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    connections.set(server, [...(connections.get(server) ?? []), socket]);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const connections = new WeakMap<Server, Socket[]>();

/** Close a server and every connection it still has. */
export function closeServer(server: Server): Promise<void> {
  for (const socket of connections.get(server) ?? []) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Call `onLines` with each batch of complete lines a connection sends. */
export function onLines(socket: Socket, handle: (lines: string[]) => void): void {
  let pending = '';
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    if (lines.length > 0) handle(lines);
  });
}

/** How a child job went. */
export interface ChildRun {
  /** The JSON lines it printed. */
  readonly events: Record<string, unknown>[];
  /** Its last JSON line: how the job ended (`outcome` or `failed`), if it ended. */
  readonly end: Record<string, unknown> | undefined;
  /** Whether the process exited by itself within the bound after the job ended. */
  readonly exited: boolean;
  readonly stderr: string;
}

/**
 * Run test/unit/connectors/fixtures/socket-fault-job.ts with `config`. The job
 * must end within `endWithin` ms, and the process must then exit by itself
 * within `exitWithin` ms; otherwise it is killed and `exited` is false.
 */
export function runFaultJob(config: object, { endWithin = 20_000, exitWithin = 3_000 } = {}): Promise<ChildRun> {
  const script = fileURLToPath(new URL('./fixtures/socket-fault-job.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Record<string, unknown>[] = [];
    let end: Record<string, unknown> | undefined;
    let stdout = '';
    let stderr = '';
    let exited = true;
    const kill = (): void => {
      exited = false;
      child.kill('SIGKILL');
    };
    let deadline = setTimeout(kill, endWithin);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (stdout + chunk.toString()).split('\n');
      stdout = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.startsWith('{'))) {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        if ('outcome' in event || 'failed' in event) {
          end = event;
          clearTimeout(deadline);
          deadline = setTimeout(kill, exitWithin);
        }
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      resolve({ events, end, exited, stderr });
    });
  });
}

// Listens with a backlog of one and then blocks its thread, so it accepts nothing.
const blockedListener = `
const { createServer } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const server = createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(new Int32Array(workerData), 0, 0);
});`;

/**
 * A port on 127.0.0.1 where a connection attempt hangs, as with an unreachable
 * host: a listener that accepts nothing and whose queue of connections is
 * full, so the kernel ignores new ones.
 */
export async function unresponsiveServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const blocked = new SharedArrayBuffer(4);
  const worker = new Worker(blockedListener, { eval: true, workerData: blocked });
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const fillers: Socket[] = [];
  for (let hung = false; !hung && fillers.length < 10; ) {
    const filler = connect({ host: '127.0.0.1', port });
    filler.on('error', () => {});
    fillers.push(filler);
    hung = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), 300);
      filler.once('connect', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }
  return {
    port,
    close: async () => {
      for (const filler of fillers) filler.destroy();
      Atomics.store(new Int32Array(blocked), 0, 1);
      Atomics.notify(new Int32Array(blocked), 0);
      await worker.terminate();
    },
  };
}
