/**
 * Elasticsearch 8.14 from Maven Central's server jar and transport-netty4 module, started
 * by ElasticsearchNode.java (see there why: no distribution, no runner, runs as root).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { javaInstall, jvmOptions, mavenClasspath, requireCommand, servicesDir, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

async function probe(address: string): Promise<void> {
  const response = await fetch(`${address}/_cluster/health`);
  if (!response.ok) throw new Error(`cluster health answered ${response.status}`);
  const health = (await response.json()) as { status?: string };
  if (health.status !== 'green' && health.status !== 'yellow') throw new Error(`cluster health is ${health.status ?? 'unknown'}`);
}

// The jars of the transport-netty4 module: kept off the server's module path, as in the
// distribution, since the server refuses a plugin whose classes it already has (jar hell).
const moduleJar = /^(transport-netty4|netty-|elasticsearch-ssl-config)-/;

async function start(dir: string, log: string): Promise<number> {
  const jars = (await mavenClasspath('elasticsearch')).split(':');
  // Java's source-file mode compiles the launcher, which a JRE without javac cannot.
  requireCommand('javac', javaInstall);
  const module = join(dir, 'modules', 'transport-netty4');
  mkdirSync(module, { recursive: true });
  mkdirSync(join(dir, 'config'), { recursive: true });
  copyFileSync(join(servicesDir, 'elasticsearch', 'plugin-descriptor.properties'), join(module, 'plugin-descriptor.properties'));
  for (const jar of jars.filter((path) => moduleJar.test(basename(path)))) copyFileSync(jar, join(module, basename(jar)));
  const server = jars.filter((path) => !moduleJar.test(basename(path))).join(':');
  // The server must be a named module: its plugin loader reads its own module descriptor.
  const args = [
    ...jvmOptions('512m', []),
    '--module-path',
    server,
    '--add-modules',
    'ALL-MODULE-PATH',
    join(servicesDir, 'elasticsearch', 'ElasticsearchNode.java'),
    dir,
    '9200',
    '9300',
  ];
  return spawnDetached('java', args, { cwd: dir, log });
}

// Starting again on a stopped server's dir: the module is laid out again over itself, the node's data reused.
export const elasticsearch: Server = { name: 'elasticsearch', address: 'http://127.0.0.1:9200', probe, start, startAgain: start, startTimeoutMs: 180_000 };
