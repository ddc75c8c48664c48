/**
 * `Stream.pipe()`'s overloads, one per number of operators, differ only in
 * that number, so they are written by this script rather than by hand:
 * `node --import tsx scripts/pipe-overloads.ts` rewrites them in
 * src/dsl/stream.ts, between the BEGIN and END lines; a unit test checks
 * that the file holds what this script writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The most operators one `pipe()` call takes. */
export const maxOperators = 16;

export const begin = '  // BEGIN overloads written by scripts/pipe-overloads.ts';
export const end = '  // END overloads written by scripts/pipe-overloads.ts';

/** Written out in each overload: under an alias the compiler would quote the alias's name instead of the text. */
const notAnOperator = `GuaranteeViolation<"not an Operator: wrap a raw RxJS operator in rx(op, { stateless: true }) or rx(op, { weakensTo: 'at-least-once' })">`;

/** The overloads for 0 to `max` operators, as they appear in the class. */
export function pipeOverloads(max: number = maxOperators): string {
  const lines = ['  pipe(): this;'];
  for (let n = 1; n <= max; n++) {
    const each = (f: (i: number) => string, separator: string) => Array.from({ length: n }, (_, k) => f(k + 1)).join(separator);
    lines.push(
      `  pipe<${each((i) => `O${i}`, ', ')}, ${each((i) => `G${i} extends Guarantee`, ', ')}, ${each((i) => `R${i} extends Replay`, ', ')}>(`,
      each((i) => `    op${i}: Operator<${i === 1 ? 'T' : `O${i - 1}`}, O${i}, G${i}, R${i}> | ${notAnOperator},`, '\n'),
      `  ): Stream<O${n}, Weakest<Gives<${each((i) => `G${i}`, ' | ')}>, G>, BothReplay<R, OperatorsReplay<[${each((i) => `R${i}`, ', ')}]>>, Need>;`,
    );
  }
  return lines.join('\n');
}

const streamFile = fileURLToPath(new URL('../src/dsl/stream.ts', import.meta.url));

/** src/dsl/stream.ts with its overloads replaced by {@link pipeOverloads}. */
export function withOverloads(text: string): string {
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${streamFile} lacks the lines:\n${begin}\n${end}`);
  return `${text.slice(0, from + begin.length)}\n${pipeOverloads()}\n${text.slice(to)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(streamFile, withOverloads(readFileSync(streamFile, 'utf8')));
}
