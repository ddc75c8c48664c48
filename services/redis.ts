/** Redis from Debian's redis-server; machines of this kind usually run one already. */
import { connect } from 'node:net';
import { requireCommand, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

/** PING in raw RESP: no client library is needed to tell whether Redis answers. */
function probe(address: string): Promise<void> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      if (reply.startsWith('+PONG')) resolve();
      else reject(new Error(`redis answered PING with ${reply.trim()}`));
    });
    socket.on('error', reject);
  });
}

async function start(dir: string, log: string): Promise<number> {
  requireCommand('redis-server', 'Redis (apt-get install -y redis-server)');
  // Foreground (no --daemonize) so the recorded pid is the server's own.
  const args = ['--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', dir];
  return spawnDetached('redis-server', args, { cwd: dir, log });
}

export const redis: Server = { name: 'redis', address: 'redis://127.0.0.1:6379', probe, start, startTimeoutMs: 30_000 };
