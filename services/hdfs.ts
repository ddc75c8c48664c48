/** An HDFS minicluster (one NameNode, one DataNode) for the rolling sink over WebHDFS. */
import { join } from 'node:path';
import { jvmOptions, mavenClasspath, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

/**
 * LISTSTATUS proves the NameNode answers WebHDFS; a write also needs a live DataNode, which
 * registers a few seconds later, so the NameNode's own count of them is checked too.
 */
async function probe(address: string): Promise<void> {
  const list = await fetch(`${address}/webhdfs/v1/?op=LISTSTATUS&user.name=onceflow`);
  if (!list.ok) throw new Error(`LISTSTATUS answered ${list.status}`);
  const body = (await list.json()) as { FileStatuses?: unknown };
  if (body.FileStatuses === undefined) throw new Error('LISTSTATUS answered without FileStatuses');
  const jmx = await fetch(`${address}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState`);
  const state = (await jmx.json()) as { beans?: { NumLiveDataNodes?: number }[] };
  if ((state.beans?.[0]?.NumLiveDataNodes ?? 0) < 1) throw new Error('no live DataNode yet');
}

async function start(dir: string, log: string): Promise<number> {
  const classpath = await mavenClasspath('hdfs');
  const jvm = jvmOptions('768m', [
    // WebHDFS's JAXB (through Jersey) defines classes reflectively: on JDK 17 its first
    // request fails with InaccessibleObjectException (HTTP 500) without this.
    '--add-opens=java.base/java.lang=ALL-UNNAMED',
    `-Dtest.build.data=${join(dir, 'data')}`,
    `-Dhadoop.log.dir=${dir}`,
  ]);
  const conf = {
    'dfs.permissions.enabled': 'false',
    'dfs.replication': '1',
    'dfs.datanode.hostname': '127.0.0.1',
    'hdfs.minidfs.basedir': join(dir, 'data'),
    // Appends to a one-DataNode pipeline must not try to find a replacement node.
    'dfs.client.block.write.replace-datanode-on-failure.enable': 'false',
  };
  const args = [
    ...jvm,
    '-cp',
    classpath,
    'org.apache.hadoop.test.MiniDFSClusterManager',
    '-format',
    '-datanodes', '1',
    '-nnport', '9000',
    '-httpport', '9870',
    ...Object.entries(conf).flatMap(([key, value]) => ['-D', `${key}=${value}`]),
  ];
  return spawnDetached('java', args, { cwd: dir, log });
}

export const hdfs: Server = { name: 'hdfs', address: 'http://127.0.0.1:9870', probe, start, startTimeoutMs: 180_000 };
