/**
 * Where integration tests find their servers: `npm test` sets these through the service
 * harness, a user may set them by hand. A missing one fails the test: never a silent skip.
 */
import { envVars } from '../../services/env.js';
import type { ServiceName } from '../../services/env.js';

export class ServerNotConfigured extends Error {
  override name = 'ServerNotConfigured';
}

export function requireServer(name: ServiceName): string {
  const variable = envVars[name];
  const address = process.env[variable];
  if (!address) {
    throw new ServerNotConfigured(`${variable} is not set: run the suite through \`npm test\`, or \`npm run services -- up ${name}\` and export what it prints`);
  }
  return address;
}

/** Names unique to this run, so reruns against a long-lived server never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
