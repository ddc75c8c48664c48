import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  basePathBuckets,
  defaultRollingPolicy,
  FileWriteError,
  fileSink,
  fileSource,
  fileStore,
  JobFailedError,
  pipeline,
  RollingFileError,
  rollingFileSink,
} from 'onceflow';
import { withTempDir } from '../../temp-dir.js';

// A full disk is a real 1 MiB tmpfs (the tests run as root, which may mount). If
// mounting is not permitted the test fails saying so: it is never skipped.
function mountTmpfs(dir: string, size: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`cannot mount a ${size} tmpfs at ${dir} to simulate a full disk: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}

const umount = (dir: string): void => void spawnSync('umount', [dir]);

async function failureOf(run: Promise<unknown>): Promise<JobFailedError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, JobFailedError);
  return error as JobFailedError;
}

async function linesOf(dir: string, names: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const name of names) lines.push(...(await readFile(join(dir, name), 'utf8')).split('\n').filter(Boolean));
  return lines;
}

test('full disk: the rolling sink fails with a retriable ENOSPC RollingFileError, keeps every committed part whole, and finishes exactly-once once there is room', async () => {
  await withTempDir('full-disk-rolling', async (root) => {
    const disk = join(root, 'disk');
    await mkdir(disk);
    mountTmpfs(disk, '1m');
    const byCounter = (names: string[]): string[] => names.sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
    const job = async (id: string, records: string[]) => {
      const input = join(root, `${id}.txt`);
      await writeFile(input, records.join('\n'));
      return pipeline({ id, guarantee: 'exactly-once', checkpoints: { interval: 5, store: fileStore({ directory: join(root, 'checkpoints') }) } })
        .from(fileSource({ path: input, chunkSize: 200 }))
        .to(rollingFileSink<string>({ directory: disk, bucketAssigner: basePathBuckets(), rollingPolicy: defaultRollingPolicy({ maxPartSize: 100_000 }) }))
        .run();
    };
    const line = (prefix: string) => (_: unknown, i: number) => `${prefix} ${String(i).padStart(6, '0')} ${'x'.repeat(40)}`;
    try {
      // Committed first, and small enough to fit: these parts must come through the full disk untouched.
      const early = Array.from({ length: 6000 }, line('early'));
      await job('early', early);
      const earlyParts = byCounter((await readdir(disk)).filter((n) => n.startsWith('part-early-')));
      assert.equal(await linesOf(disk, earlyParts), early);

      const late = Array.from({ length: 30_000 }, line('late'));
      const failed = await failureOf(job('late', late));
      const cause = failed.cause;
      assert.instance(cause, RollingFileError);
      assert.match(String(cause), /ENOSPC/);
      assert.is((cause as RollingFileError).retriable, true, 'a full disk may be freed');
      assert.equal(await linesOf(disk, earlyParts), early, 'committed parts are whole after the disk filled');
      const lateCommitted = await linesOf(disk, byCounter((await readdir(disk)).filter((n) => n.startsWith('part-late-'))));
      assert.equal(lateCommitted, late.slice(0, lateCommitted.length), 'what the failed job committed is whole records, in order, once each');

      execFileSync('mount', ['-o', 'remount,size=8m', disk]);
      await job('late', late);
      const names = await readdir(disk);
      assert.ok(names.every((n) => !/^\..*\.(inprogress|pending)$/.test(n)), `no hidden part left: ${names.join(' ')}`);
      assert.equal(await linesOf(disk, earlyParts), early);
      assert.equal(await linesOf(disk, byCounter(names.filter((n) => n.startsWith('part-late-')))), late, 'after the restart: every record exactly once, in order');
    } finally {
      umount(disk);
    }
  });
});

test('full disk: the file sink fails with a retriable ENOSPC FileWriteError and what it synced stays', async () => {
  await withTempDir('full-disk-file', async (root) => {
    const input = join(root, 'in.txt');
    const records = Array.from({ length: 40_000 }, (_, i) => `record ${i} ${'y'.repeat(40)}`);
    await writeFile(input, records.join('\n'));
    const disk = join(root, 'disk');
    await mkdir(disk);
    mountTmpfs(disk, '1m');
    try {
      const out = join(disk, 'out.txt');
      const failed = await failureOf(
        pipeline({ id: 'full-file', checkpoints: { interval: 5, store: fileStore({ directory: join(root, 'checkpoints') }) } })
          .from(fileSource({ path: input, chunkSize: 200 }))
          .to(fileSink<string>({ path: out }))
          .run(),
      );
      assert.instance(failed.cause, FileWriteError);
      assert.is((failed.cause as FileWriteError).path, out);
      assert.is((failed.cause as FileWriteError).retriable, true);
      const lines = (await readFile(out, 'utf8')).split('\n');
      lines.pop();
      assert.ok(lines.length > 0);
      assert.equal(lines, records.slice(0, lines.length), 'whole lines before the failure, in order');
    } finally {
      umount(disk);
    }
  });
});

test('permission denied: as user nobody, an unreadable file and an unwritable directory fail with non-retriable EACCES errors naming the path', async () => {
  // Root reads and writes through any mode bits, so the connectors run in a child process as `nobody` (uid 65534).
  await withTempDir('eacces', async (root) => {
    await chmod(root, 0o755);
    const unreadable = join(root, 'secret.txt');
    await writeFile(unreadable, 'hidden\n');
    await chmod(unreadable, 0o000);
    const locked = join(root, 'locked');
    await mkdir(locked, { mode: 0o755 });
    const fixture = fileURLToPath(new URL('./fixtures/as-nobody.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--conditions=onceflow-source', '--import', import.meta.resolve('tsx'), fixture, unreadable, locked], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { ...process.env, HOME: root },
    });
    assert.is(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Record<string, { name: string; message: string; retriable: boolean }>;
    assert.is(result.source?.name, 'FileReadError');
    assert.match(result.source?.message ?? '', new RegExp(`${unreadable}.*EACCES`));
    assert.is(result.source?.retriable, false);
    assert.is(result.rolling?.name, 'RollingFileError');
    assert.match(result.rolling?.message ?? '', /EACCES/);
    assert.is(result.rolling?.retriable, false);
    assert.is(result.fileSink?.name, 'FileWriteError');
    assert.match(result.fileSink?.message ?? '', /out\.txt.*EACCES/);
    assert.is(result.fileSink?.retriable, false);
  });
});

test.run();
