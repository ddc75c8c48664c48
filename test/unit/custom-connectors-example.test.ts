// The example of docs/connectors.md runs, and its source and sink pass the connector kit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSource, sinkTestCases } from 'onceflow/testing';
import { jsonFilesSink, rangeSource, runExample } from '../../examples/custom-connectors.js';
import { withTempDir } from '../temp-dir.js';

test('custom connectors example: squares of 0..9999 arrive once each, in order', async () => {
  await withTempDir('custom', async (dir) => {
    const squares = await runExample(dir);
    assert.equal(squares, Array.from({ length: 10_000 }, (_, n) => n * n));
  });
});

test('custom connectors example: the range source restores from any record and reads exactly the rest', async () => {
  const all = await readSource(rangeSource(1000, 3), { checkpointEachRecord: true });
  for (const at of [0, 332, 333, 334, 998]) {
    const rest = await readSource(rangeSource(1000, 3), { restored: all.checkpoints[at] });
    assert.equal(rest.records, all.records.slice(at + 1), `restored after record ${at}`);
  }
});

let directory = '';
for (const c of sinkTestCases({
  name: 'jsonFilesSink (example)',
  async setUp() {
    directory = await mkdtemp(join(tmpdir(), 'onceflow-json-files-'));
  },
  async tearDown() {
    await rm(directory, { recursive: true, force: true });
  },
  createSink: () => jsonFilesSink<string>(directory),
  async read() {
    const files = (await readdir(directory)).filter((name) => !name.startsWith('.')).sort();
    return (await Promise.all(files.map(async (name) => JSON.parse(await readFile(join(directory, name), 'utf8')) as string[]))).flat();
  },
})) {
  test(c.name, c.run);
}

test.run();
