// For outage tests: stop a server the harness started, and start it again with the harness's
// own `up`. The new server starts from an empty data dir (the harness wipes it at every start),
// so a test recreates what it needs on it. Only the harness's own server can be stopped: one
// given by the user (its variable pointing elsewhere) fails the test, saying so.
import { down, up } from '../../services/index.js';
import { envVars } from '../../services/env.js';
import type { ServiceName } from '../../services/env.js';
import { readRecord } from '../../services/lib.js';

const quiet = (): void => {};

/**
 * Stop the harness's `name` server, wait `downFor` ms, and start it again
 * (always, also when the wait is interrupted); resolves once it answers.
 */
export async function restartServer(name: ServiceName, downFor: number): Promise<void> {
  const variable = envVars[name];
  const record = readRecord(name);
  if (!record || record.address !== process.env[variable]) {
    throw new Error(
      `the outage test stops the harness's ${name} and starts it again, but ${variable}=${process.env[variable]} is ${record ? `not the harness's (${record.address})` : 'not a server the harness started'}: run it through \`npm test\` or against \`npm run services -- up ${name}\``,
    );
  }
  await down([name], quiet);
  try {
    await new Promise((resolve) => setTimeout(resolve, downFor));
  } finally {
    // `up` takes the variable as the user's own server and would start nothing.
    const address = process.env[variable];
    delete process.env[variable];
    try {
      const { env } = await up([name], quiet);
      if (env[variable] !== address) throw new Error(`${name} came back at ${env[variable]}, not at ${address}`);
    } finally {
      process.env[variable] = address;
    }
  }
}
