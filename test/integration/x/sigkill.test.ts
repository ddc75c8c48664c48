// The X filtered-stream source in a child process killed with SIGKILL at random points and
// restarted, against the local filtered-stream server: at-most-once, so what is posted while
// the job is down is lost, but no post is ever emitted twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { runWithKills } from '../../kill-restart.js';
import { withTempDir } from '../../temp-dir.js';
import { runSeed, seededRandom } from '../../fault/random.js';
import { startXServer, streaming } from './x-server.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`x sigkill seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);

test('SIGKILLed 5 times and restarted: no post twice, posts in order, and the last run gets to the end', async () => {
  const server = await startXServer();
  let next = 0;
  const kills = 5;
  // Each connection gets the posts made while it is open, a few every few ms, as X sends them;
  // the connection after the last kill also gets the post that ends the job.
  server.onStream = (response, attempt) => {
    streaming(response);
    const timer = setInterval(() => {
      for (let i = 0; i < 5; i++) server.post(response, String(next++));
      response.write('\r\n');
      if (attempt > kills && next > 200 * (kills + 1)) {
        server.post(response, String(next++), 'last');
        clearInterval(timer);
      }
    }, 5);
    response.on('close', () => clearInterval(timer));
  };
  try {
    await withTempDir('x-kill', async (root) => {
      const { kills: killed, stdout } = await runWithKills(new URL('./fixtures/x-job.ts', import.meta.url), [server.url, server.token, join(root, 'checkpoints')], {
        kills,
        maxCheckpoints: 4,
        random,
      });
      assert.is(killed, kills);
      const ids = stdout.join('').split('\n').filter((line) => line.startsWith('post ')).map((line) => Number(line.slice(5)));
      assert.is(new Set(ids).size, ids.length, 'no post twice');
      assert.ok(ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)), 'posts in the order they were sent');
      assert.ok(ids.length > 0 && (ids[ids.length - 1] as number) === next - 1, 'the last run read up to the last post');
    });
  } finally {
    await server.close();
  }
});

test.run();
