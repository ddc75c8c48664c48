/** Cassandra 5.0, one node, from its Maven Central jar. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'cassandra-driver';
import { jarOn, jvmOptions, mavenClasspath, servicesDir, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

async function probe(address: string): Promise<void> {
  const client = new Client({ contactPoints: address.split(','), localDataCenter: 'datacenter1', socketOptions: { connectTimeout: 3000 } });
  try {
    await client.execute('SELECT release_version FROM system.local');
  } finally {
    await client.shutdown();
  }
}

// From Cassandra's conf/jvm17-server.options: without them the server stops at start-up
// with "unable to access required classes".
const jdk17Access = [
  ...['java.base/jdk.internal.misc', 'java.management.rmi/com.sun.jmx.remote.internal.rmi', 'java.rmi/sun.rmi.registry', 'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'java.base/java.lang.ref', 'jdk.unsupported/sun.misc', 'jdk.compiler/com.sun.tools.javac.file', 'jdk.attach/sun.tools.attach'].map((pkg) => `--add-exports=${pkg}=ALL-UNNAMED`),
  ...['java.base/java.lang.module', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect', 'java.base/jdk.internal.math', 'java.base/jdk.internal.module', 'java.base/jdk.internal.util.jar', 'jdk.management/com.sun.management.internal', 'java.base/sun.nio.ch', 'java.base/java.io', 'java.base/java.lang.reflect', 'jdk.compiler/com.sun.tools.javac', 'java.base/java.lang', 'java.base/java.util'].map((pkg) => `--add-opens=${pkg}=ALL-UNNAMED`),
];

async function start(dir: string, log: string): Promise<number> {
  const classpath = await mavenClasspath('cassandra');
  const yaml = join(dir, 'cassandra.yaml');
  writeFileSync(yaml, readFileSync(join(servicesDir, 'cassandra', 'cassandra.yaml'), 'utf8').replaceAll('@DIR@', dir));
  const jvm = jvmOptions('1g', [
    `-javaagent:${jarOn(classpath, 'jamm')}`,
    '-Djdk.attach.allowAttachSelf=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    ...jdk17Access,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.config=file://${yaml}`,
    `-Dcassandra.logdir=${dir}`,
    `-Dcassandra.storagedir=${dir}`,
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.unsafesystem=true',
    '-Dcassandra.ring_delay_ms=0',
  ]);
  return spawnDetached('java', [...jvm, '-cp', classpath, 'org.apache.cassandra.service.CassandraDaemon'], { cwd: dir, log });
}

// Starting again on a stopped server's dir: the same yaml is written again, the data dirs are reused.
export const cassandra: Server = { name: 'cassandra', address: '127.0.0.1', probe, start, startAgain: start, startTimeoutMs: 180_000 };
