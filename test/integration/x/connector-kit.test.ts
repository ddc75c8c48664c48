// The X filtered-stream source through the connector test kit, against the local
// filtered-stream server. The stream is one split; the kit's lines become posts, each sent
// once, to the connection open when it is added (or to the next one), as X sends a post once.
import { test } from 'uvu';
import type { ServerResponse } from 'node:http';
import { xFilteredStreamSource } from 'onceflow/x';
import type { XPost } from 'onceflow/x';
import { sourceTestCases } from 'onceflow/testing';
import type { ConnectorTestCase } from 'onceflow/testing';
import { runSeed, seededRandom } from '../../fault/random.js';
import { startXServer, streaming } from './x-server.js';
import type { XServer } from './x-server.js';

const seed = runSeed();
const random = seededRandom(seed);
console.log(`x kit seed: ${seed} (replay with ONCEFLOW_SEED=${seed})`);
const register = (cases: ConnectorTestCase[]): void => cases.forEach((c) => test(c.name, c.run));

let server: XServer | undefined;
let waiting: string[] = [];
let current: ServerResponse | undefined;
const send = (): void => {
  if (!current || current.destroyed) return;
  for (const line of waiting.splice(0)) server?.post(current, line, line);
};

register(
  sourceTestCases<XPost>(
    {
      name: 'xFilteredStreamSource',
      async setUp() {
        waiting = [];
        current = undefined;
        server = await startXServer();
        server.onStream = (response) => {
          current = streaming(response);
          send();
        };
      },
      async tearDown() {
        await server?.close();
      },
      async addSplit(lines) {
        waiting.push(...lines);
        send();
      },
      createSource: () => xFilteredStreamSource({ bearerToken: server!.token, baseUrl: server!.url, stallTimeout: 1000, reconnect: { networkStep: 5, httpInitialDelay: 5, rateLimitInitialDelay: 5 } }),
      text: (post) => post.data.text,
      discoversSplits: false,
      maxSplits: 1,
    },
    { random },
  ),
);

test.run();
