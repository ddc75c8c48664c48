import type { Socket } from 'node:net';
import { LineTooLongError } from '../shared/errors.js';
import { LineSplitter } from '../shared/line-splitter.js';

/** How a connection ended: the peer closed it (`'clean'`), or it failed (a reset, an error). */
export type ConnectionEnd = 'clean' | 'failed';

/**
 * The lines of one TCP connection, read with flow control: after each chunk
 * the socket is paused until its lines are taken, so a slow reader holds data
 * back in TCP instead of in memory. Lines received before the connection
 * ended stay readable after it ended; only a last line without a newline is
 * set apart ({@link rest}), for the reader to decide on.
 */
export class LineConnection {
  private readonly splitter: LineSplitter;
  /** How the connection ended, once it has. */
  end: ConnectionEnd | undefined;
  /** Why it failed, when it did. */
  failure: unknown;
  /** Byte offset in the connection's stream of the line last returned by {@link next}. */
  lineOffset = 0;
  // Byte offset of the next line.
  private offset = 0;

  constructor(
    private readonly socket: Socket,
    /** `tcp://host:port`, naming the peer in errors. */
    readonly peer: string,
    maxLineLength: number,
    /** `readable`: a chunk arrived, with lines perhaps; `ended`: the connection ended ({@link end} says how). */
    on: { readonly readable: () => void; readonly ended: () => void },
  ) {
    this.splitter = new LineSplitter(maxLineLength);
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk);
      socket.pause();
      on.readable();
    });
    socket.on('error', (error) => (this.failure ??= error));
    socket.on('close', (hadError) => {
      this.end = hadError || this.failure !== undefined ? 'failed' : 'clean';
      on.ended();
    });
  }

  /** The next complete line, or `undefined` when none has arrived yet (reading on) or is left. Throws a {@link LineTooLongError} naming the peer and offset. */
  next(): Buffer | undefined {
    let line: Buffer | undefined;
    try {
      line = this.splitter.next();
    } catch (error) {
      throw error instanceof LineTooLongError ? error.at(this.peer, this.offset) : error;
    }
    if (!line) {
      if (this.end === undefined) this.socket.resume();
      return undefined;
    }
    this.lineOffset = this.offset;
    this.offset += line.length + 1;
    return line;
  }

  /** Once ended and {@link next} gave `undefined`: the bytes after the last newline, if any. */
  rest(): Buffer | undefined {
    let line: Buffer | undefined;
    try {
      line = this.splitter.rest();
    } catch (error) {
      throw error instanceof LineTooLongError ? error.at(this.peer, this.offset) : error;
    }
    this.lineOffset = this.offset;
    if (line) this.offset += line.length;
    return line;
  }

  /** Drop the connection. */
  destroy(): void {
    this.socket.destroy();
  }
}
