// A local server that speaks X's v2 filtered-stream protocol, for the X source's tests: the
// rules endpoint (GET, POST add/delete, invalid rules refused) and the stream endpoint, whose
// connections each test scripts (posts, keep-alive newlines, stalls, disconnects, 429s).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredRule {
  readonly id: string;
  readonly value: string;
  readonly tag?: string;
}

/** What a test does with one stream connection: the `attempt`th since the server started (from 1). */
export type StreamHandler = (response: ServerResponse, attempt: number, request: IncomingMessage) => void;

export interface XServer {
  readonly url: string;
  readonly token: string;
  readonly rules: StoredRule[];
  /** Stream connections made so far, with the time each was made. */
  readonly connections: number[];
  /** Rule requests made: method and body. */
  readonly ruleRequests: { method: string; body: unknown }[];
  onStream: StreamHandler;
  /** Send one post as a line. */
  post(response: ServerResponse, id: string, text?: string): void;
  close(): Promise<void>;
}

export async function startXServer(initialRules: readonly StoredRule[] = []): Promise<XServer> {
  let nextRuleId = 1000;
  const open = new Set<ServerResponse>();
  const state: XServer = {
    url: '',
    token: 'test-bearer-token',
    rules: [...initialRules],
    connections: [],
    ruleRequests: [],
    onStream: (response) => response.write('\r\n'),
    post: (response, id, text = `post ${id}`) => void response.write(`${JSON.stringify({ data: { id, text }, matching_rules: [{ id: '1', tag: 't' }] })}\r\n`),
    close: async () => {
      for (const response of open) response.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.headers.authorization !== `Bearer ${state.token}`) {
      json(response, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
      return;
    }
    if (url.pathname === '/2/tweets/search/stream/rules') {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const body = text ? (JSON.parse(text) as { add?: { value: string; tag?: string }[]; delete?: { ids: string[] } }) : undefined;
        state.ruleRequests.push({ method: request.method ?? '', body });
        if (request.method === 'GET') return json(response, 200, { data: state.rules, meta: { result_count: state.rules.length } });
        if (body?.delete) {
          for (const id of body.delete.ids) state.rules.splice(state.rules.findIndex((rule) => rule.id === id) >>> 0, 1);
          return json(response, 200, { meta: { summary: { deleted: body.delete.ids.length } } });
        }
        const invalid = body?.add?.find((rule) => rule.value.includes('INVALID'));
        if (invalid) return json(response, 200, { errors: [{ value: invalid.value, title: 'UnprocessableEntity', detail: 'Rule is not valid' }] });
        for (const rule of body?.add ?? []) state.rules.push({ id: String(nextRuleId++), ...rule });
        return json(response, 201, { meta: { summary: { created: body?.add?.length ?? 0 } } });
      });
      return;
    }
    if (url.pathname === '/2/tweets/search/stream') {
      state.connections.push(Date.now());
      open.add(response);
      response.on('close', () => open.delete(response));
      state.onStream(response, state.connections.length, request);
      return;
    }
    json(response, 404, { title: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** Start a 200 streaming answer. */
export function streaming(response: ServerResponse): ServerResponse {
  response.writeHead(200, { 'content-type': 'application/json' });
  return response;
}
