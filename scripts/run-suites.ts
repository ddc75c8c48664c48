/**
 * Runs the uvu suites of a folder, as `uvu DIR PATTERN` does, then exits once the
 * totals are out. Integration suites talk to real servers through clients; one that
 * a test fails to close must not keep the process, and so CI, waiting after every
 * test has finished, but it is named, so the leak gets found.
 */
import { Socket } from 'node:net';
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';

const [dir, pattern] = process.argv.slice(2);
if (!dir) throw new Error('usage: run-suites.ts DIR [PATTERN]');
const { suites } = await parse(dir, pattern, { cwd: process.cwd() });
await run(suites, { bail: false });

// A client closing as the last test ends gets a moment before it counts as left open.
await new Promise((resolve) => setTimeout(resolve, 1000).unref());
const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
const open = handles.filter((handle): handle is Socket => handle instanceof Socket && handle.remotePort !== undefined && !handle.destroyed);
if (open.length > 0) {
  const peers = open.map((socket) => `${socket.remoteAddress}:${socket.remotePort}`);
  console.warn(`run-suites: ${open.length} connection(s) still open after the suites of ${dir} ended (a test did not close a client): ${peers.join(', ')}`);
}
process.exit(process.exitCode ?? 0);
