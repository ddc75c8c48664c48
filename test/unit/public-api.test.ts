import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
