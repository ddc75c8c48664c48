import { LineTooLongError } from '../shared/errors.js';
import { LineSplitter } from '../shared/line-splitter.js';
import { SocketProtocolError } from './errors.js';

// A count is a few digits; anything much longer without a newline is not one.
const maxCountLine = 64;
const preview = (bytes: Buffer): string => JSON.stringify(bytes.subarray(0, maxCountLine).toString('utf8'));

/**
 * Reads what a `'line-count'` server writes back on one connection (as lines,
 * how many lines it has taken on the connection so far) and checks each
 * count against what was sent on it.
 */
export class LineCountReader {
  private readonly splitter = new LineSplitter(maxCountLine);
  /** Lines the server has counted on this connection. */
  counted = 0;

  constructor(private readonly address: string) {}

  /**
   * Take bytes the server wrote, `sent` being the lines sent on this
   * connection so far; returns the count now. Throws a
   * {@link SocketProtocolError} naming the violation.
   */
  receive(chunk: Buffer, sent: number): number {
    this.splitter.push(chunk);
    for (let line = this.next(); line; line = this.next()) {
      const text = line.toString('utf8').trim();
      if (!/^\d+$/.test(text)) throw new SocketProtocolError(this.address, 'not-a-count', `sent ${preview(line)} where a line count was expected`);
      const count = Number(text);
      if (count < this.counted) throw new SocketProtocolError(this.address, 'count-going-backwards', `acknowledged ${count} lines after ${this.counted}`);
      if (count > sent) throw new SocketProtocolError(this.address, 'count-beyond-sent', `acknowledged ${count} lines but ${sent} were sent on the connection`);
      this.counted = count;
    }
    return this.counted;
  }

  private next(): Buffer | undefined {
    try {
      return this.splitter.next();
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      throw new SocketProtocolError(this.address, 'not-a-count', `sent more than ${maxCountLine} bytes without a newline where a line count was expected`);
    }
  }
}
