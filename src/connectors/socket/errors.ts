import { messageOf, OnceflowError } from '../../errors.js';

/**
 * A TCP connection could not be made, or made again, within the reconnect
 * attempts allowed. Retriable (the peer may come back), except for a host
 * name that does not resolve, unless the connector was told to retry that.
 */
export class SocketConnectError extends OnceflowError {
  override readonly name = 'SocketConnectError';
  constructor(
    /** `host:port` of the peer. */
    readonly address: string,
    /** Connection attempts made in a row before giving up. */
    readonly attempts: number,
    cause: unknown,
    options: { readonly retriable?: boolean; readonly hint?: string } = {},
  ) {
    const hint = options.hint === undefined ? '' : ` (${options.hint})`;
    super(`cannot connect to ${address} after ${attempts} attempt(s): ${messageOf(cause)}${hint}`, { cause, retriable: options.retriable ?? true });
  }
}

/** How a peer broke the `'line-count'` acknowledgement protocol of the socket sink. */
export type LineCountViolation = 'count-beyond-sent' | 'count-going-backwards' | 'not-a-count';

/**
 * A server answered the socket sink's lines with something the `'line-count'`
 * protocol does not allow: more lines than were sent on the connection, fewer
 * than it had already counted, or a line that is not a count. The sink drops
 * the connection and sends again, with backoff; past its reconnect attempts
 * the job fails with this error. Not retriable: a peer that breaks the
 * protocol that often is broken, and restarting the job meets it again.
 */
export class SocketProtocolError extends OnceflowError {
  override readonly name = 'SocketProtocolError';
  constructor(
    /** `host:port` of the peer. */
    readonly address: string,
    /** What the peer did wrong. */
    readonly violation: LineCountViolation,
    detail: string,
  ) {
    super(`${address} broke the line-count protocol: ${detail}`, { retriable: false });
  }
}

/**
 * The server did not acknowledge, within the socket sink's `ackTimeout`, the
 * lines written before a checkpoint barrier. Retriable: the job restarts from
 * its last checkpoint and sends them again.
 */
export class SocketAcknowledgementTimeoutError extends OnceflowError {
  override readonly name = 'SocketAcknowledgementTimeoutError';
  constructor(
    /** `host:port` of the peer. */
    readonly address: string,
    /** Lines of the barrier the server acknowledged in time. */
    readonly acknowledged: number,
    /** Lines the barrier waited for. */
    readonly expected: number,
    /** The timeout, in ms. */
    readonly ackTimeout: number,
  ) {
    super(`${address} acknowledged ${acknowledged} of ${expected} lines within ackTimeout (${ackTimeout} ms)`, { retriable: true });
  }
}

/** A socket connector was closed while it connected, wrote or waited: what was in progress is abandoned. */
export class SocketClosedError extends OnceflowError {
  override readonly name = 'SocketClosedError';
  constructor(
    /** `host:port` of the peer. */
    readonly address: string,
  ) {
    super(`the connector for ${address} was closed`, { retriable: false });
  }
}
