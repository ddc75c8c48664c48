// The type-level suite's must-fail lines (`// @ts-expect-error <text>` in test/types) fail for the
// reason their comment gives: with the directives taken out, the compiler's message on the next
// line must contain <text> (or start with it, when written `^<text>`). A rule loosened so that a line fails for another reason, or not at all,
// fails here. The files must also compile with `exactOptionalPropertyTypes`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { withOverloads } from '../../scripts/pipe-overloads.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const typesDir = `${root}test/types/`;
const files = readdirSync(typesDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => `${typesDir}${name}`);
const directive = /^(\s*)\/\/ @ts-expect-error(.*)$/;

function compilerOptions(overrides: ts.CompilerOptions): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, overrides, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('cannot read tsconfig.json');
  return config.options;
}

function program(options: ts.CompilerOptions, rewrite: (file: string, text: string) => string): ts.Program {
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (file) => {
    const text = read(file);
    return text !== undefined && files.includes(file) ? rewrite(file, text) : text;
  };
  return ts.createProgram(files, options, host);
}

interface Expected {
  readonly file: string;
  readonly line: number; // 0-based line that must fail
  readonly text: string;
}

test('every must-fail line in test/types fails with the message its comment gives', () => {
  const expected: Expected[] = [];
  const built = program(compilerOptions({}), (file, text) =>
    text
      .split('\n')
      .map((line, index) => {
        const match = directive.exec(line);
        if (!match) return line;
        expected.push({ file, line: index + 1, text: (match[2] ?? '').trim() });
        return `${match[1]}// (expected to fail)`;
      })
      .join('\n'),
  );
  const failures: string[] = [];
  const byLine = new Map<string, string[]>();
  for (const file of files) {
    const source = built.getSourceFile(file);
    if (!source) throw new Error(`not compiled: ${file}`);
    for (const diagnostic of built.getSemanticDiagnostics(source)) {
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
      const key = `${file}:${line}`;
      byLine.set(key, [...(byLine.get(key) ?? []), ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')]);
    }
  }
  assert.ok(expected.length >= 40, `found only ${expected.length} must-fail lines`);
  for (const { file, line, text } of expected) {
    const where = `${file.slice(root.length)}:${line + 1}`;
    const messages = byLine.get(`${file}:${line}`) ?? [];
    if (text === '') failures.push(`${where}: the directive says nothing of why the line must fail`);
    else if (messages.length === 0) failures.push(`${where}: compiles, but must fail with "${text}"`);
    else if (text.startsWith('^') ? !messages.some((m) => m.startsWith(text.slice(1))) : !messages.some((m) => m.includes(text))) failures.push(`${where}: must fail with "${text}", but the compiler says:\n    ${messages.join('\n    ')}`);
  }
  assert.equal(failures, []);
});

test('the type-level suite compiles with exactOptionalPropertyTypes', () => {
  const built = program(compilerOptions({ exactOptionalPropertyTypes: true }), (_file, text) => text);
  const errors = files.flatMap((file) =>
    built.getSemanticDiagnostics(built.getSourceFile(file)).map((d) => `${file.slice(root.length)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`),
  );
  assert.equal(errors, []);
});

test("Stream.pipe()'s overloads are the ones scripts/pipe-overloads.ts writes", () => {
  const text = readFileSync(`${root}src/dsl/stream.ts`, 'utf8');
  assert.ok(text === withOverloads(text), 'run: node --import tsx scripts/pipe-overloads.ts');
});

test.run();
