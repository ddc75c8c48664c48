/**
 * The package as a user gets it from npm: `npm pack` (which builds `dist` on
 * `prepack`), the tarball installed into an empty project, a TypeScript
 * consumer compiled under both module resolutions users pick (NodeNext and
 * bundler) against the shipped declarations, then run. Also checks what the
 * install pulls in: the network clients are optional peers, so a user of the
 * file connectors gets rxjs and onceflow only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../temp-dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = (cwd: string, args: string[]): string =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const consumer = `
import { collectionSource, fileSource, map, memoryStore, pipeline, socketSource } from 'onceflow';
import type { JobResult } from 'onceflow';
import { memorySink } from 'onceflow/testing';

const sink = memorySink<string>();
const job = pipeline({ id: 'consumer', guarantee: 'exactly-once', checkpoints: { interval: 10, store: memoryStore() } })
  .from(collectionSource(['a', 'b', 'c']))
  .pipe(map((s: string) => s.toUpperCase()))
  .to(sink);

// The guarantee checks work from the shipped declarations too (compiled, never called).
export const tooWeak = () =>
  pipeline({ id: 'weak', guarantee: 'exactly-once', checkpoints: { interval: 10 } })
    // @ts-expect-error a socket source is at-most-once
    .from(socketSource({ host: '127.0.0.1', port: 1 }));
export const lines = () => fileSource({ path: 'input.txt' });

const result: JobResult = await job.run();
console.log(JSON.stringify({ outcome: result.outcome, committed: sink.committed }));
`;

function tsconfig(moduleResolution: 'NodeNext' | 'Bundler'): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: moduleResolution === 'NodeNext' ? 'NodeNext' : 'ESNext',
      moduleResolution,
      strict: true,
      // Check the shipped .d.ts files as well: a type from a peer the user did not install would fail here.
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      outDir: `out-${moduleResolution}`,
    },
    files: ['consumer.ts'],
  });
}

/** Every package under node_modules, scoped ones as `@scope/name`. */
async function installedPackages(project: string): Promise<string[]> {
  const dir = join(project, 'node_modules');
  const names: string[] = [];
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) names.push(...(await readdir(join(dir, name))).map((inner) => `${name}/${inner}`));
    else names.push(name);
  }
  return names.sort();
}

test('npm pack builds dist; the tarball installs alone, compiles under NodeNext and bundler resolution, and runs', async () => {
  await withTempDir('pack', async (dir) => {
    const [packed] = JSON.parse(npm(root, ['pack', '--json', '--pack-destination', dir])) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed, 'npm pack reported a tarball');
    const shipped = packed.files.map((f) => f.path);
    for (const file of ['LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/index.d.ts.map', 'dist/testing/index.js', 'dist/redis.js', 'dist/kinesis.js', 'dist/x.js', 'dist/kafka.js', 'dist/rabbitmq.js', 'dist/cassandra.js', 'dist/elasticsearch.js']) {
      assert.ok(shipped.includes(file), `the tarball ships ${file}`);
    }

    const project = join(dir, 'consumer');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(project, ['install', '--prefer-offline', join(dir, packed.filename)]);
    // rxjs brings tslib, its own dependency; nothing else may come with onceflow.
    assert.equal(await installedPackages(project), ['onceflow', 'rxjs', 'tslib']);
    const manifest = JSON.parse(await readFile(join(project, 'node_modules', 'onceflow', 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    assert.not.ok(JSON.stringify(manifest.exports).includes('"source"'), 'no export condition named just "source" reaches consumers');

    await writeFile(join(project, 'consumer.ts'), consumer);
    for (const resolution of ['NodeNext', 'Bundler'] as const) {
      await writeFile(join(project, `tsconfig.${resolution}.json`), tsconfig(resolution));
      try {
        execFileSync(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        assert.unreachable(`the consumer does not compile with moduleResolution ${resolution}:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
      }
      const out = execFileSync(process.execPath, [join(project, `out-${resolution}`, 'consumer.js')], { cwd: project, encoding: 'utf8' });
      assert.equal(JSON.parse(out), { outcome: 'finished', committed: ['A', 'B', 'C'] }, `the ${resolution} build runs`);
    }

    // CommonJS users load the ESM package with require(), which is what `engines` promises.
    const required = execFileSync(process.execPath, ['--no-warnings', '-e', "console.log(typeof require('onceflow').pipeline)"], { cwd: project, encoding: 'utf8' });
    assert.is(required.trim(), 'function');
  });
});

test.run();
