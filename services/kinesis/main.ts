/**
 * Runs kinesalite in its own process, bound to 127.0.0.1 (its CLI listens on every
 * interface). In memory: each start is empty, and no native LevelDB build is needed.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';

type Kinesalite = (options: { createStreamMs: number; deleteStreamMs: number; updateStreamMs: number; shardLimit: number }) => Server;

const kinesalite = createRequire(import.meta.url)('kinesalite') as Kinesalite;
const port = Number(process.argv[2] ?? 4567);
// Streams turn ACTIVE at once: tests wait for ACTIVE anyway, and nothing here tests the delay.
kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 }).listen(port, '127.0.0.1', () => {
  console.log(`kinesalite listening on 127.0.0.1:${port}`);
});
