import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const entryPoints = ['../../src/index.ts', '../../src/testing/index.ts', '../../src/redis.ts', '../../src/kafka.ts', '../../src/opentelemetry.ts', '../../src/kinesis.ts', '../../src/x.ts', '../../src/rabbitmq.ts', '../../src/cassandra.ts', '../../src/elasticsearch.ts'].map(
  (p) => fileURLToPath(new URL(p, import.meta.url)),
);

test('every public export has a doc comment', () => {
  const program = ts.createProgram(entryPoints, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true });
  const checker = program.getTypeChecker();
  const undocumented: string[] = [];
  let exported = 0;
  for (const entry of entryPoints) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    for (const symbol of checker.getExportsOfModule(module)) {
      exported++;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const documented = (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0) || target.getDocumentationComment(checker).length > 0;
      if (!documented) undocumented.push(symbol.name);
    }
  }
  assert.ok(exported > 50, `found ${exported} exports`);
  assert.equal(undocumented, []);
});

test("importing onceflow loads the RxJS modules it runs on, not rxjs's index of every operator (what a restarted job waits for)", () => {
  const script = `
    import { createRequire } from 'node:module';
    await import('onceflow');
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('rxjs'));
    console.log(JSON.stringify({ index: loaded.some((path) => path.endsWith('/rxjs/dist/cjs/index.js')), modules: loaded.length }));
  `;
  const out = execFileSync(process.execPath, ['--conditions=onceflow-source', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  const { index, modules } = JSON.parse(out.trim().split('\n').at(-1)!) as { index: boolean; modules: number };
  assert.is(index, false, "rxjs's index was loaded");
  assert.ok(modules > 0 && modules < 100, `${modules} RxJS modules loaded`);
});

test.run();
