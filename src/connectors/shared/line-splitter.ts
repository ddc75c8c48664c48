const newline = 0x0a;
const empty = Buffer.alloc(0);

/**
 * Splits bytes into lines at the byte level, for sources whose positions are
 * byte offsets. Splitting before decoding is what makes UTF-8 split across
 * chunks safe: 0x0a never occurs inside a multi-byte UTF-8 sequence.
 */
export class LineSplitter {
  private buffer: Buffer = empty;
  private start = 0;
  // Where to look for the next newline: bytes before it are known to have none.
  private scan = 0;

  /** Bytes pushed but not yet returned as a line. */
  get buffered(): number {
    return this.buffer.length - this.start;
  }

  /** Append bytes just read. */
  push(chunk: Buffer): void {
    if (this.start === this.buffer.length) {
      this.buffer = chunk;
      this.scan = 0;
    } else {
      this.buffer = Buffer.concat([this.buffer.subarray(this.start), chunk]);
      this.scan -= this.start;
    }
    this.start = 0;
  }

  /** The next complete line, without its `\n`; `undefined` until more bytes bring one. */
  next(): Buffer | undefined {
    const end = this.buffer.indexOf(newline, this.scan);
    if (end < 0) {
      this.scan = this.buffer.length;
      return undefined;
    }
    const line = this.buffer.subarray(this.start, end);
    this.start = this.scan = end + 1;
    return line;
  }

  /** At the end of input: the last line if it had no `\n`, and nothing more. */
  rest(): Buffer | undefined {
    const line = this.buffered > 0 ? this.buffer.subarray(this.start) : undefined;
    this.buffer = empty;
    this.start = this.scan = 0;
    return line;
  }
}
