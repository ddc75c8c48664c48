/**
 * The README's TypeScript blocks compile as written, with the project's
 * compiler options, importing `onceflow` the way a user does. A block that
 * is only a sketch is marked ```ts fragment and skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The ```ts blocks of a markdown text, with the line each starts on. */
function typeScriptBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const info = /^```(.*)$/.exec(lines[i] as string)?.[1]?.trim();
    if (info === undefined) continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `the code block at README.md:${i + 1} is closed`);
    if (info === 'ts' || info === 'typescript') blocks.push({ line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

test('every ts block of the README type-checks', () => {
  const blocks = typeScriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 5, `found ${blocks.length} blocks`);
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  assert.ok(config, 'tsconfig.json parses');
  // In the package's own folder, so `onceflow` resolves to it as it does for the examples. Not written to disk.
  const files = new Map(blocks.map((block) => [join(root, `README.md.line-${block.line}.ts`), `${block.code}\nexport {};\n`]));
  const host = ts.createCompilerHost(config.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language);
  };
  const program = ts.createProgram([...files.keys()], { ...config.options, noEmit: true }, host);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.has(d.file.fileName))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const blockStart = Number(/line-(\d+)/.exec(d.file!.fileName)?.[1]);
      return `README.md:${blockStart + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  assert.equal(problems, []);
});

test.run();
