import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkLayers } from '../../scripts/check-layers.js';
import { withTempDir } from '../temp-dir.js';

async function tree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

test('the project itself keeps its layers', () => {
  assert.equal(checkLayers(fileURLToPath(new URL('../../src', import.meta.url))), []);
});

test('an import down the layers passes; one up the layers fails and names both files', async () => {
  await withTempDir('layers', async (dir) => {
    await tree(dir, {
      'contracts/source.ts': "export type S = 1;\n",
      'runtime/task.ts': "import type { S } from '../contracts/source.js';\nexport type T = S;\n",
    });
    assert.equal(checkLayers(dir), []);
    await tree(dir, { 'contracts/bad.ts': "import type { T } from '../runtime/task.js';\nexport type B = T;\n" });
    const problems = checkLayers(dir);
    assert.is(problems.length, 1);
    assert.match(problems[0] ?? '', 'contracts/bad.ts (layer contracts) imports runtime/task.ts (layer runtime)');
  });
});

test('a cycle between two files of one folder fails, type-only imports included', async () => {
  await withTempDir('layers', async (dir) => {
    await tree(dir, {
      'runtime/a.ts': "import type { B } from './b.js';\nexport type A = B | 1;\n",
      'runtime/b.ts': "import type { A } from './a.js';\nexport type B = A | 2;\n",
    });
    assert.equal(checkLayers(dir), ['import cycle among runtime/a.ts, runtime/b.ts: each reaches the others through its imports']);
  });
});

test('one connector importing another fails; connectors/shared is for what both need', async () => {
  await withTempDir('layers', async (dir) => {
    await tree(dir, {
      'connectors/shared/backoff.ts': 'export const b = 1;\n',
      'connectors/kafka/source.ts': "import { b } from '../shared/backoff.js';\nimport { f } from '../file/source.js';\nexport const k = b + f;\n",
      'connectors/file/source.ts': 'export const f = 1;\n',
    });
    const problems = checkLayers(dir);
    assert.is(problems.length, 1);
    assert.match(problems[0] ?? '', 'connectors/kafka/source.ts imports connectors/file/source.ts');
  });
});

test.run();
