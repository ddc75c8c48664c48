import { OnceflowError } from '../../errors.js';

/** X answered with an HTTP error that retrying will not fix (401 bad token, 403 no access to the endpoint, 400). */
export class XRequestError extends OnceflowError {
  override readonly name = 'XRequestError';
  constructor(
    /** The URL asked, without credentials (the token goes in a header). */
    readonly url: string,
    /** The HTTP status. */
    readonly status: number,
    /** The start of the response body, which says why. */
    readonly body: string,
    retriable: boolean,
  ) {
    const hint = status === 401 ? ' (check the bearer token)' : status === 403 ? ' (the token or app may not use this endpoint, or the connection limit is reached)' : '';
    super(`X answered ${status} for ${url}${hint}: ${body}`, { retriable });
  }
}

/** X rejected one of the declared rules, or a change to the rule set. Not retriable: fix the rule. */
export class XRulesError extends OnceflowError {
  override readonly name = 'XRulesError';
  constructor(
    message: string,
    /** The rule at fault (its value), when X named one. */
    readonly rule: string | undefined,
  ) {
    super(message, { retriable: false });
  }
}

/** A line of the stream is not JSON. Not retriable: reading again does not bring the same line back. */
export class XMalformedLineError extends OnceflowError {
  override readonly name = 'XMalformedLineError';
  constructor(
    /** The line, cut to 200 characters. */
    readonly line: string,
    cause: unknown,
  ) {
    super(`the X filtered stream sent a line that is not JSON: ${JSON.stringify(line)}`, { cause, retriable: false });
  }
}

/** Reconnecting gave up after the configured number of attempts. Retriable: the job's restart strategy may try again later. */
export class XStreamConnectError extends OnceflowError {
  override readonly name = 'XStreamConnectError';
  constructor(
    readonly url: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`could not connect to the X filtered stream at ${url} after ${attempts} attempts`, { cause, retriable: true });
  }
}
