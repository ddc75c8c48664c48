/** Kinesis from kinesalite (npm), a child node process. */
import { join } from 'node:path';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { servicesDir, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

/**
 * A client for kinesalite or a user's endpoint. The SDK's default handler fails against
 * kinesalite, so an HTTP/1.1 handler is passed; kinesalite accepts any credentials.
 */
export function kinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'onceflow', secretAccessKey: 'onceflow' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

async function probe(address: string): Promise<void> {
  const client = kinesisClient(address);
  try {
    await client.send(new ListStreamsCommand({}));
  } finally {
    client.destroy();
  }
}

// cwd is the project: `--import tsx` is resolved from there.
async function start(_dir: string, log: string): Promise<number> {
  const main = join(servicesDir, 'kinesis', 'main.ts');
  return spawnDetached(process.execPath, ['--import', 'tsx', main, '4567'], { cwd: servicesDir, log });
}

export const kinesis: Server = { name: 'kinesis', address: 'http://127.0.0.1:4567', probe, start, startTimeoutMs: 30_000 };
