/**
 * `npm run services -- up|down|status [names...]`: bring the integration-test servers up,
 * stop what an earlier `up` started, or show who answers where. With no names: all of them.
 */
import { down, isServiceName, serviceNames, status, up } from './index.js';
import type { ServiceName } from './index.js';

class UsageError extends Error {
  override name = 'UsageError';
}

function parse(args: readonly string[]): { command: string; names: ServiceName[] } {
  const [command = '', ...rest] = args;
  if (!['up', 'down', 'status'].includes(command)) throw new UsageError('usage: npm run services -- up|down|status [names...]');
  const unknown = rest.filter((name) => !isServiceName(name));
  if (unknown.length > 0) throw new UsageError(`unknown server ${unknown.join(', ')}; known: ${serviceNames.join(', ')}`);
  return { command, names: rest.length > 0 ? (rest as ServiceName[]) : serviceNames };
}

async function main(): Promise<void> {
  const { command, names } = parse(process.argv.slice(2));
  if (command === 'up') {
    const { env } = await up(names);
    // Lines a shell can `eval` or a user can copy into another terminal.
    for (const [key, value] of Object.entries(env)) console.log(`export ${key}=${value}`);
  } else if (command === 'down') {
    await down(names);
  } else {
    const rows = await status(names);
    for (const row of rows) console.log(`${row.name.padEnd(14)}${row.answers ? 'up  ' : 'DOWN'}  ${row.address}  (${row.source}${row.detail ? `; ${row.detail}` : ''})`);
    if (rows.some((row) => !row.answers)) process.exitCode = 1;
  }
}

main().then(
  // Client libraries used by the probes may keep sockets alive; the servers themselves are detached.
  () => process.exit(),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
