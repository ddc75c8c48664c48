/**
 * Turns one line of a file (its bytes, without the `\n`) into a record. A
 * strict decoder throws on input it cannot read; the file source then fails
 * with a {@link MalformedRecordError} naming the file and byte offset.
 */
export interface RecordDecoder<T> {
  /** Short name, for messages. */
  readonly name: string;
  /** Decode one line's bytes; throw to reject them. */
  decode(line: Buffer): T;
}

/** Options of {@link textLines}. */
export interface TextLinesOptions {
  /** Reject lines that are not valid UTF-8 instead of replacing bad bytes with U+FFFD. Default true. */
  readonly strict?: boolean;
}

const carriageReturn = 0x0d;

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === carriageReturn ? line.subarray(0, -1) : line;
}

/** Lines as UTF-8 strings (a trailing `\r` is dropped, so CRLF files read the same as LF files). */
export function textLines(options: TextLinesOptions = {}): RecordDecoder<string> {
  const decoder = new TextDecoder('utf-8', { fatal: options.strict ?? true, ignoreBOM: false });
  return {
    name: 'text-lines',
    decode: (line) => decoder.decode(withoutCarriageReturn(line)),
  };
}

/** One JSON value a line (JSON Lines); a line that is not valid JSON, blank lines included, is malformed. */
export function jsonLines<T = unknown>(): RecordDecoder<T> {
  const text = textLines({ strict: true });
  return {
    name: 'json-lines',
    decode: (line) => JSON.parse(text.decode(line)) as T,
  };
}
