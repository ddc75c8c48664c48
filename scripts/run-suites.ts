/**
 * Runs the uvu suites of a folder, as `uvu DIR PATTERN` does, then exits once the
 * totals are out. Integration suites talk to real servers through clients; one that
 * a test fails to close (a kafkajs connection) must not keep the process, and so CI,
 * waiting after every test has finished.
 */
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';

const [dir, pattern] = process.argv.slice(2);
if (!dir) throw new Error('usage: run-suites.ts DIR [PATTERN]');
const { suites } = await parse(dir, pattern, { cwd: process.cwd() });
await run(suites, { bail: false });
process.exit(process.exitCode ?? 0);
