/**
 * The layer check `npm test` runs first: folders under `src` import one way
 * (README, "Layout"), and no two files import each other, directly or round
 * a longer loop. It reads imports with the compiler's own parser, type-only
 * imports included: a type cycle still ties two layers together.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * What each layer may import besides itself, bottom first. A file directly in
 * `src` other than `errors.ts` is an entry point (`index.ts`, a connector's
 * own entry) and may import any layer but `testing`.
 */
export const layers: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  contracts: ['errors'],
  snapshot: ['contracts', 'errors'],
  runtime: ['snapshot', 'contracts', 'errors'],
  operators: ['contracts', 'errors'],
  connectors: ['contracts', 'errors'],
  dsl: ['runtime', 'snapshot', 'contracts', 'errors'],
  testing: ['dsl', 'runtime', 'snapshot', 'contracts', 'operators', 'connectors', 'errors'],
  // Running one job per Kafka partition across processes: it starts jobs (dsl, runtime) of connectors' sources.
  'scale-out': ['dsl', 'runtime', 'snapshot', 'contracts', 'operators', 'connectors', 'errors'],
};

const entry = 'entry';

function layerOf(srcDir: string, file: string): string {
  const parts = relative(srcDir, file).split(sep);
  if (parts.length === 1) return parts[0] === 'errors.ts' ? 'errors' : entry;
  return parts[0] as string;
}

/** `connectors/kafka/x.ts` -> `kafka`; shared pieces live in `connectors/shared`. */
function connectorOf(srcDir: string, file: string): string | undefined {
  const parts = relative(srcDir, file).split(sep);
  return parts[0] === 'connectors' && parts.length > 2 ? parts[1] : undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative module specifiers a file imports or re-exports, static or dynamic. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) specifiers.push(argument.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers.filter((s) => s.startsWith('.'));
}

/** Every rule broken under `srcDir`, one sentence each; empty when the layers hold. */
export function checkLayers(srcDir: string): string[] {
  const root = resolve(srcDir);
  const files = sourceFiles(root);
  const graph = new Map<string, string[]>();
  const problems: string[] = [];
  const name = (file: string): string => relative(root, file).split(sep).join('/');
  for (const file of files) {
    const targets: string[] = [];
    for (const specifier of importsOf(file)) {
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      targets.push(target);
      const from = layerOf(root, file);
      const to = layerOf(root, target);
      if (to === 'testing' && from !== 'testing') problems.push(`${name(file)} imports ${name(target)}: only onceflow/testing may use the testing layer`);
      else if (to === entry && from !== entry) problems.push(`${name(file)} imports the entry point ${name(target)}: import the module itself`);
      else if (from !== to && from !== entry && !(layers[from] ?? []).includes(to)) {
        problems.push(`${name(file)} (layer ${from}) imports ${name(target)} (layer ${to}): ${from} may import ${(layers[from] ?? []).join(', ') || 'nothing'}`);
      }
      const fromConnector = connectorOf(root, file);
      const toConnector = connectorOf(root, target);
      if (fromConnector && toConnector && fromConnector !== toConnector && toConnector !== 'shared') {
        problems.push(`${name(file)} imports ${name(target)}: one connector does not import another; move what both need to connectors/shared`);
      }
    }
    graph.set(file, targets);
  }
  for (const cycle of cyclesOf(graph)) problems.push(`import cycle among ${cycle.map(name).join(', ')}: each reaches the others through its imports`);
  return problems;
}

/** The strongly connected components with more than one file (or a file importing itself), by Tarjan's algorithm. */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.reverse());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = process.argv[2] ?? fileURLToPath(new URL('../src', import.meta.url));
  const problems = checkLayers(srcDir);
  for (const problem of problems) console.log(problem);
  console.log(problems.length === 0 ? 'layers: every import goes one way, no cycles' : `layers: ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
