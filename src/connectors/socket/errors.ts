import { messageOf, OnceflowError } from '../../errors.js';

/** A TCP connection could not be made, or made again, within the reconnect attempts allowed. Retriable: the peer may come back. */
export class SocketConnectError extends OnceflowError {
  override readonly name = 'SocketConnectError';
  constructor(
    /** `host:port` of the peer. */
    readonly address: string,
    /** Connection attempts made in a row before giving up. */
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`cannot connect to ${address} after ${attempts} attempt(s): ${messageOf(cause)}`, { cause, retriable: true });
  }
}
