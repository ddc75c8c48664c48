import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClasspathResolutionFailed, envVars, up } from '../../../services/index.js';
import { jarOn, logTail } from '../../../services/lib.js';
import { ServerNotConfigured, requireServer } from '../../integration/env.js';

test('a variable set by the user is used as is and nothing is started', async () => {
  const saved = process.env[envVars.redis];
  process.env[envVars.redis] = 'redis://example.invalid:6379';
  try {
    const lines: string[] = [];
    const result = await up(['redis'], (line) => lines.push(line));
    assert.equal(result, { env: { ONCEFLOW_REDIS_URL: 'redis://example.invalid:6379' }, started: [] });
    assert.match(lines.join('\n'), 'using ONCEFLOW_REDIS_URL');
  } finally {
    if (saved === undefined) delete process.env[envVars.redis];
    else process.env[envVars.redis] = saved;
  }
});

test('requireServer throws, naming the variable and the way to set it, when it is missing', () => {
  const saved = process.env[envVars.kafka];
  delete process.env[envVars.kafka];
  try {
    assert.throws(() => requireServer('kafka'), (error: unknown) => error instanceof ServerNotConfigured && /ONCEFLOW_KAFKA_BROKERS.*npm run services -- up kafka/.test(error.message));
    process.env[envVars.kafka] = '127.0.0.1:9092';
    assert.is(requireServer('kafka'), '127.0.0.1:9092');
  } finally {
    if (saved === undefined) delete process.env[envVars.kafka];
    else process.env[envVars.kafka] = saved;
  }
});

test('a log tail also shows the first errors that scrolled out of it', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'onceflow-')), 'server.log');
  const shutdown = Array.from({ length: 50 }, (_, i) => `INFO shutting down step ${i}`);
  writeFileSync(file, ['INFO starting', 'ERROR Socket server failed to bind to 127.0.0.1:9092', ...shutdown].join('\n'));
  const tail = logTail(file, 5);
  assert.match(tail, /first errors in .*\nERROR Socket server failed to bind/);
  assert.match(tail, /last lines of .*\nINFO shutting down step 45\n(.*\n){3}INFO shutting down step 49$/);
  assert.not.match(tail, 'INFO starting');
});

test('jarOn finds an artifact on a classpath by name, and says which is missing', () => {
  const classpath = '/m2/com/github/jbellis/jamm/0.4.0/jamm-0.4.0.jar:/m2/org/x/jammer/1/jammer-1.jar';
  assert.is(jarOn(classpath, 'jamm'), '/m2/com/github/jbellis/jamm/0.4.0/jamm-0.4.0.jar');
  assert.throws(() => jarOn(classpath, 'netty'), (error: unknown) => error instanceof ClasspathResolutionFailed && error.message.includes('netty'));
});

test.run();
