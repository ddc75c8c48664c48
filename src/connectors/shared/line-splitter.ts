import { ConfigurationError } from '../../errors.js';
import { LineTooLongError } from './errors.js';

const newline = 0x0a;
const empty = Buffer.alloc(0);

/** Longest line a line splitter accepts unless told otherwise: 16 MiB. */
export const defaultMaxLineLength = 16 * 1024 * 1024;

/** Check a connector's `maxLineLength` option; errors name `connector`. */
export function checkMaxLineLength(connector: string, maxLineLength: number = defaultMaxLineLength): number {
  if (!Number.isInteger(maxLineLength) || maxLineLength < 1) throw new ConfigurationError(`${connector} maxLineLength must be a whole number of bytes >= 1, got ${maxLineLength}`);
  return maxLineLength;
}

/**
 * Splits bytes into lines at the byte level, for sources whose positions are
 * byte offsets. Splitting before decoding is what makes UTF-8 split across
 * chunks safe: 0x0a never occurs inside a multi-byte UTF-8 sequence.
 *
 * Linear in its input: the chunks of a line that spans several are kept as
 * they came and joined once, when its newline arrives. A line longer than
 * `maxLineLength` bytes throws a {@link LineTooLongError} from {@link next} or
 * {@link rest} as soon as that many bytes of it are held, which bounds the
 * memory to about `maxLineLength` plus one chunk for a caller that calls
 * `next()` until `undefined` before each `push()`. Lines before it are
 * returned first, so the caller's own byte count is at the long line's start
 * when it throws.
 */
export class LineSplitter {
  // The chunk being split, and where its unreturned bytes start.
  private current: Buffer = empty;
  private start = 0;
  // Where to look for the next newline in `current`: bytes before it are known to have none.
  private scan = 0;
  // Earlier chunks' tails that begin the line `current` goes on with (none of them has a newline).
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(private readonly maxLineLength: number = defaultMaxLineLength) {}

  /** Bytes pushed but not yet returned as a line. */
  get buffered(): number {
    return this.pendingLength + this.current.length - this.start;
  }

  /** Append bytes just read. */
  push(chunk: Buffer): void {
    if (this.start < this.current.length) {
      // `scan` is at the end of `current` here: next() returned undefined or was never called on it.
      const tail = this.current.subarray(this.start);
      this.pending.push(tail);
      this.pendingLength += tail.length;
    }
    this.current = chunk;
    this.start = this.scan = 0;
  }

  /** The next complete line, without its `\n`; `undefined` until more bytes bring one. */
  next(): Buffer | undefined {
    const end = this.current.indexOf(newline, this.scan);
    if (end < 0) {
      this.scan = this.current.length;
      this.checkLength(this.buffered);
      return undefined;
    }
    this.checkLength(this.pendingLength + end - this.start);
    const line = this.take(end);
    this.start = this.scan = end + 1;
    return line;
  }

  /** At the end of input: the last line if it had no `\n`, and nothing more. */
  rest(): Buffer | undefined {
    this.checkLength(this.buffered);
    const line = this.buffered > 0 ? this.take(this.current.length) : undefined;
    this.current = empty;
    this.start = this.scan = 0;
    return line;
  }

  // The pending chunks and `current` up to `end`, as one buffer; copies only when the line spans chunks.
  private take(end: number): Buffer {
    const last = this.current.subarray(this.start, end);
    if (this.pending.length === 0) return last;
    const line = Buffer.concat([...this.pending, last], this.pendingLength + last.length);
    this.pending = [];
    this.pendingLength = 0;
    return line;
  }

  private checkLength(length: number): void {
    if (length > this.maxLineLength) throw new LineTooLongError(this.maxLineLength);
  }
}
