import type { FetchResult, Source, SourceSplit, SplitAssignment, SplitEnumerator, SplitReader, SplitReaderInit } from '../../contracts/source.js';
import type { Logger } from '../../contracts/logger.js';
import { ConfigurationError, isRetriable, messageOf } from '../../errors.js';
import { checkMaxLineLength, LineSplitter } from '../shared/line-splitter.js';
import { xReconnectDelay, xReconnectSettings } from './reconnect.js';
import type { XFailureKind, XReconnectOptions, XReconnectSettings } from './reconnect.js';
import { XMalformedLineError, XRequestError, XRulesError, XStreamConnectError } from './errors.js';

/** A filtered-stream rule: a query, and a tag that names it in `matching_rules`. */
export interface XStreamRule {
  readonly value: string;
  readonly tag?: string;
}

/** One post as the filtered stream delivers it: the post, the expansions asked for, and the rules it matched. */
export interface XPost {
  readonly data: { readonly id: string; readonly text: string; readonly [field: string]: unknown };
  readonly includes?: Readonly<Record<string, unknown>>;
  readonly matching_rules?: readonly { readonly id: string; readonly tag?: string }[];
}

/** The one split of an {@link xFilteredStreamSource}: the stream connection. */
export interface XStreamSplit extends SourceSplit {
  readonly splitId: 'x-filtered-stream';
}

/** Options of {@link xFilteredStreamSource}. */
export interface XFilteredStreamOptions {
  /** An app's bearer token (app-only authentication), sent as `Authorization: Bearer …`. */
  readonly bearerToken: string;
  /** Where the API is. Default `https://api.x.com`; tests point it at a local server. */
  readonly baseUrl?: string;
  /**
   * The rules the stream should have. When given, the source makes the
   * stream's rules exactly these at start (deleting others, adding missing
   * ones) through the rules endpoint; when absent, the rules are left as they are.
   */
  readonly rules?: readonly XStreamRule[];
  /** Query parameters of the stream request: `tweet.fields`, `expansions`, `user.fields`, ... */
  readonly query?: Readonly<Record<string, string>>;
  /**
   * A connection silent this long (no post, no keep-alive newline) is stalled
   * and is opened again, in ms. X sends a keep-alive every 20 s; the default,
   * 22 000, leaves a little room for the network so a late keep-alive is not
   * taken for a stall.
   */
  readonly stallTimeout?: number;
  /** The waits between connection attempts; defaults are X's documented ones. */
  readonly reconnect?: XReconnectOptions;
  /** A line that is not JSON: fail the job (default), or log it at warn and go on. */
  readonly onMalformedLine?: 'fail' | 'skip';
  /** Longest line accepted, in bytes. Default 16 MiB. */
  readonly maxLineLength?: number;
  /** Posts held before reading pauses (and TCP pushes back). Default 10 000. */
  readonly maxBufferedPosts?: number;
}

/** What the enumerator of an {@link xFilteredStreamSource} stores in a checkpoint. */
export interface XEnumeratorState {
  /** The stream split was handed to the reader (a restore gets it back from the checkpoint). */
  readonly assigned: boolean;
}

const split: XStreamSplit = { splitId: 'x-filtered-stream' };

interface Settings {
  readonly bearerToken: string;
  readonly baseUrl: string;
  readonly rules: readonly XStreamRule[] | undefined;
  readonly streamUrl: string;
  readonly rulesUrl: string;
  readonly stallTimeout: number;
  readonly reconnect: XReconnectSettings;
  readonly onMalformedLine: 'fail' | 'skip';
  readonly maxLineLength: number;
  readonly maxBufferedPosts: number;
}

/**
 * Reads X's v2 filtered stream (`GET /2/tweets/search/stream`): posts
 * matching the stream's rules, as they are posted. At-most-once: X keeps no
 * position a reader could come back to, so what is posted while the job is
 * down or reconnecting is lost (X's paid recovery and backfill features would
 * give at-least-once; this source does not use them). Reconnects follow X's
 * rules: linear backoff for network errors and stalls, exponential for HTTP
 * errors, and from a minute for 429s, waiting for `x-rate-limit-reset`.
 */
export function xFilteredStreamSource(options: XFilteredStreamOptions): Source<XPost, 'at-most-once', 'nondeterministic', XStreamSplit, string, XEnumeratorState> {
  const settings = checkOptions(options);
  return {
    name: 'x-filtered-stream',
    guarantee: 'at-most-once',
    replay: 'nondeterministic',
    createEnumerator: ({ context, restoredState }): SplitEnumerator<XStreamSplit, XEnumeratorState> => {
      // A restored job gets the split back from the checkpoint with the reader's state: assign it only once.
      let assigned = restoredState?.assigned ?? false;
      return {
        async start() {
          if (settings.rules) await syncRules(settings);
          if (assigned) return;
          assigned = true;
          context.assignSplits([split]);
        },
        snapshotState: () => ({ assigned }),
        close() {},
      };
    },
    createReader: (init) => new StreamReader(settings, init),
  };
}

function checkOptions(options: XFilteredStreamOptions): Settings {
  const { bearerToken, baseUrl = 'https://api.x.com', rules, query = {}, stallTimeout = 22_000, onMalformedLine = 'fail', maxBufferedPosts = 10_000 } = options;
  if (typeof bearerToken !== 'string' || bearerToken.length === 0) throw new ConfigurationError('xFilteredStreamSource bearerToken must be a non-empty string');
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch (error) {
    throw new ConfigurationError(`xFilteredStreamSource baseUrl must be a URL, got '${baseUrl}'`, { cause: error });
  }
  if (rules !== undefined && (!Array.isArray(rules) || rules.some((rule) => typeof rule?.value !== 'string' || rule.value.length === 0))) {
    throw new ConfigurationError('xFilteredStreamSource rules must be a list of { value, tag? } with non-empty values');
  }
  if (!(stallTimeout > 0)) throw new ConfigurationError(`xFilteredStreamSource stallTimeout must be > 0 ms, got ${stallTimeout}`);
  if (onMalformedLine !== 'fail' && onMalformedLine !== 'skip') throw new ConfigurationError(`xFilteredStreamSource onMalformedLine must be 'fail' or 'skip', got '${String(onMalformedLine)}'`);
  if (!Number.isInteger(maxBufferedPosts) || maxBufferedPosts < 1) throw new ConfigurationError(`xFilteredStreamSource maxBufferedPosts must be a whole number >= 1, got ${maxBufferedPosts}`);
  const stream = new URL('2/tweets/search/stream', base.href.endsWith('/') ? base : `${base.href}/`);
  for (const [name, value] of Object.entries(query)) stream.searchParams.set(name, value);
  const rulesUrl = new URL('2/tweets/search/stream/rules', base.href.endsWith('/') ? base : `${base.href}/`);
  return {
    bearerToken,
    baseUrl: base.href,
    rules,
    streamUrl: stream.href,
    rulesUrl: rulesUrl.href,
    stallTimeout,
    reconnect: xReconnectSettings(options.reconnect),
    onMalformedLine,
    maxLineLength: checkMaxLineLength('xFilteredStreamSource', options.maxLineLength),
    maxBufferedPosts,
  };
}

function headers(settings: Settings): Record<string, string> {
  return { authorization: `Bearer ${settings.bearerToken}`, 'user-agent': 'onceflow', 'content-type': 'application/json' };
}

async function failedRequest(url: string, response: Response): Promise<XRequestError> {
  const body = (await response.text().catch(() => '')).slice(0, 500);
  // 429 and 5xx clear up by themselves; 400, 401, 403, 404 need someone to fix something.
  return new XRequestError(url, response.status, body, response.status === 429 || response.status >= 500);
}

interface RulesResponse {
  readonly data?: readonly { readonly id: string; readonly value: string; readonly tag?: string }[];
  readonly errors?: readonly { readonly value?: string; readonly title?: string; readonly detail?: string; readonly message?: string }[];
}

/** Make the stream's rules exactly the declared ones: delete the others, add the missing. */
async function syncRules(settings: Settings): Promise<void> {
  const call = async (init: RequestInit): Promise<RulesResponse> => {
    const response = await fetch(settings.rulesUrl, { ...init, headers: headers(settings) });
    if (!response.ok) throw await failedRequest(settings.rulesUrl, response);
    return (await response.json()) as RulesResponse;
  };
  const key = (rule: XStreamRule): string => `${rule.value}\u0000${rule.tag ?? ''}`;
  const declared = new Map((settings.rules ?? []).map((rule) => [key(rule), rule]));
  const current = (await call({ method: 'GET' })).data ?? [];
  const stale = current.filter((rule) => !declared.has(key(rule)));
  const present = new Set(current.map(key));
  const missing = [...declared.values()].filter((rule) => !present.has(key(rule)));
  if (stale.length > 0) {
    const answer = await call({ method: 'POST', body: JSON.stringify({ delete: { ids: stale.map((rule) => rule.id) } }) });
    if (answer.errors?.length) throw new XRulesError(`X refused to delete stream rules: ${JSON.stringify(answer.errors).slice(0, 500)}`, undefined);
  }
  if (missing.length > 0) {
    const answer = await call({ method: 'POST', body: JSON.stringify({ add: missing.map((rule) => (rule.tag === undefined ? { value: rule.value } : rule)) }) });
    const error = answer.errors?.[0];
    if (error) {
      const why = error.detail ?? error.title ?? error.message ?? JSON.stringify(error);
      throw new XRulesError(`X refused stream rule ${JSON.stringify(error.value ?? '')}: ${why}`, error.value);
    }
  }
}

/** Ends a connection that went silent for longer than the stall timeout. */
class StallError extends Error {
  override readonly name = 'StallError';
}

/** Holds one connection to the stream at a time and buffers its posts for fetch(). */
class StreamReader implements SplitReader<XPost, XStreamSplit, string> {
  private readonly logger: Logger | undefined;
  private readonly closing = new AbortController();
  private readonly posts: XPost[] = [];
  private failure: Error | undefined;
  private running = false;
  private paused = false;
  private closed = false;
  private wakeFetch: (() => void) | undefined;
  private wakeLoop: (() => void) | undefined;
  private readonly fields: Record<string, unknown>;

  constructor(
    private readonly settings: Settings,
    init: SplitReaderInit,
  ) {
    this.logger = init.logger;
    this.fields = { task: init.taskId, url: settings.streamUrl };
  }

  addSplits(assignments: readonly SplitAssignment<XStreamSplit, string>[]): void {
    if (assignments.length === 0 || this.running) return;
    this.running = true;
    void this.connectLoop().catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.wakeFetch?.();
    });
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    if (pause.length > 0) this.paused = true;
    if (resume.length > 0) {
      this.paused = false;
      this.wakeLoop?.();
    }
  }

  async fetch(): Promise<FetchResult<XPost, string>> {
    if (this.failure) throw this.failure;
    if (this.posts.length === 0 || this.paused) {
      await new Promise<void>((resolve) => (this.wakeFetch = resolve));
      this.wakeFetch = undefined;
      if (this.failure) throw this.failure;
    }
    if (this.paused || this.posts.length === 0) return { batches: [], finished: [] };
    const records = this.posts.splice(0);
    this.wakeLoop?.();
    // The post id: not a position to resume from (X keeps none), but it says where the stream is.
    return { batches: [{ splitId: split.splitId, records, positionAfter: (i) => (records[i] as XPost).data.id }], finished: [] };
  }

  wakeUp(): void {
    this.wakeFetch?.();
  }

  close(): void {
    this.closed = true;
    this.closing.abort();
    this.wakeLoop?.();
    this.wakeFetch?.();
  }

  private async connectLoop(): Promise<void> {
    let kind: XFailureKind | undefined;
    let attempts = 0;
    while (!this.closed) {
      let retryAfter = 0;
      try {
        await this.connectOnce(() => {
          if (attempts > 0) this.logger?.info({ ...this.fields, attempt: attempts + 1 }, 'reconnected to the X filtered stream');
          attempts = 0;
          kind = undefined;
        });
        throw new Error('the X filtered stream closed the connection');
      } catch (error) {
        if (this.closed) return;
        if (!isRetriable(error)) throw error;
        const next: XFailureKind = error instanceof XRequestError ? (error.status === 429 ? 'rate-limit' : 'http') : 'network';
        // A different kind of failure starts its own schedule from the beginning.
        if (next !== kind) attempts = 0;
        kind = next;
        attempts++;
        if (attempts > this.settings.reconnect.maxAttempts) throw new XStreamConnectError(this.settings.streamUrl, attempts - 1, error);
        if (error instanceof RateLimited) retryAfter = error.resetAt - Date.now();
        const delay = Math.max(xReconnectDelay(this.settings.reconnect, kind, attempts), Math.min(retryAfter, this.settings.reconnect.rateLimitMaxDelay));
        this.logger?.warn({ ...this.fields, attempt: attempts, delayMs: delay, err: error }, `X filtered stream: ${messageOf(error)}; reconnecting in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.closing.signal.addEventListener('abort', done);
    });
  }

  /** One connection, read until it ends, stalls or fails. */
  private async connectOnce(connected: () => void): Promise<void> {
    const connection = new AbortController();
    const abort = (): void => connection.abort();
    this.closing.signal.addEventListener('abort', abort);
    let stall: NodeJS.Timeout | undefined;
    const watch = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => connection.abort(new StallError(`no data or keep-alive for ${this.settings.stallTimeout} ms: the connection stalled`)), this.settings.stallTimeout);
    };
    try {
      watch();
      const response = await fetch(this.settings.streamUrl, { headers: headers(this.settings), signal: connection.signal });
      if (!response.ok) {
        const error = await failedRequest(this.settings.streamUrl, response);
        if (response.status === 429) throw new RateLimited(error, response.headers.get('x-rate-limit-reset'));
        throw error;
      }
      if (!response.body) throw new Error('the X filtered stream answered without a body');
      connected();
      const splitter = new LineSplitter(this.settings.maxLineLength);
      const body = response.body.getReader();
      for (;;) {
        watch();
        const { done, value } = await body.read();
        if (done) return;
        splitter.push(Buffer.from(value));
        for (let line = splitter.next(); line !== undefined; line = splitter.next()) this.take(line);
        // Hold reading while the pipeline is behind or paused: TCP then pushes back on X. No stall check meanwhile.
        while (!this.closed && (this.paused || this.posts.length >= this.settings.maxBufferedPosts)) {
          clearTimeout(stall);
          await new Promise<void>((resolve) => (this.wakeLoop = resolve));
          this.wakeLoop = undefined;
        }
      }
    } catch (error) {
      const reason: unknown = connection.signal.reason;
      throw reason instanceof StallError ? reason : error;
    } finally {
      clearTimeout(stall);
      this.closing.signal.removeEventListener('abort', abort);
      connection.abort();
    }
  }

  private take(bytes: Buffer): void {
    const line = bytes.toString('utf8').trim();
    // Keep-alive newlines say the connection is alive; they carry nothing.
    if (line.length === 0) return;
    let message: { data?: XPost['data']; errors?: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch (error) {
      const malformed = new XMalformedLineError(line.slice(0, 200), error);
      if (this.settings.onMalformedLine === 'fail') throw malformed;
      this.logger?.warn({ ...this.fields, err: malformed }, malformed.message);
      return;
    }
    if (message.data) {
      this.posts.push(message as XPost);
      this.wakeFetch?.();
    } else {
      // X sends error objects in the stream (an operational disconnect before it closes the connection): worth a log line, not a record.
      this.logger?.warn({ ...this.fields, errors: message.errors }, `the X filtered stream sent a message without a post: ${line.slice(0, 500)}`);
    }
  }
}

/** A 429, with when X says the rate-limit window resets (`x-rate-limit-reset`, epoch seconds). */
class RateLimited extends XRequestError {
  readonly resetAt: number;
  constructor(error: XRequestError, reset: string | null) {
    super(error.url, error.status, error.body, true);
    const seconds = Number(reset);
    this.resetAt = reset !== null && Number.isFinite(seconds) ? seconds * 1000 : 0;
  }
}
