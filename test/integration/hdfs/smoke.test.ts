import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireServer, uniqueName } from '../env.js';

const base = `${requireServer('hdfs')}/webhdfs/v1`;
const user = 'user.name=onceflow';
const dir = `/onceflow-smoke/${uniqueName('run')}`;

/**
 * The DataNode answers a write with an unsolicited `100 Continue` before its real status,
 * which fetch (undici) rejects as "bad response"; node:http skips it as it should.
 */
function send(url: string, method: 'PUT' | 'POST', body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** WebHDFS writes in two steps: the NameNode answers 307 with the DataNode to send data to. */
async function write(method: 'PUT' | 'POST', path: string, op: string, body: string): Promise<void> {
  const redirect = await fetch(`${base}${path}?op=${op}&${user}`, { method, redirect: 'manual' });
  assert.is(redirect.status, 307, `${op} on the NameNode`);
  const location = redirect.headers.get('location');
  if (location === null) return assert.unreachable(`${op} redirect without a Location`);
  const written = await send(location, method, body);
  assert.is(written.status, op === 'CREATE' ? 201 : 200, `${op} on the DataNode: ${written.text}`);
}

async function call(method: 'PUT' | 'GET', path: string, query: string): Promise<Response> {
  return fetch(`${base}${path}?${query}&${user}`, { method });
}

test('CREATE, APPEND, RENAME, then OPEN reads the whole content', async () => {
  const part = `${dir}/part-0.inprogress`;
  const done = `${dir}/part-0`;
  await write('PUT', part, 'CREATE', 'line 1\n');
  await write('POST', part, 'APPEND', 'line 2\n');
  const renamed = await call('PUT', part, `op=RENAME&destination=${encodeURIComponent(done)}`);
  assert.equal(await renamed.json(), { boolean: true });
  // OPEN also redirects to a DataNode; fetch follows that itself.
  const opened = await call('GET', done, 'op=OPEN');
  assert.is(opened.status, 200);
  assert.is(await opened.text(), 'line 1\nline 2\n');
  const gone = await call('GET', part, 'op=GETFILESTATUS');
  assert.is(gone.status, 404);
});

test.after(async () => {
  await call('PUT', dir, 'op=MKDIRS'); // make DELETE valid even if a test failed early
  await fetch(`${base}${dir}?op=DELETE&recursive=true&${user}`, { method: 'DELETE' });
});

test.run();
