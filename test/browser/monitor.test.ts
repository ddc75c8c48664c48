/**
 * The monitor page in a real browser: Debian's Chromium, driven by
 * playwright-core, against a job that runs, checkpoints and restarts once.
 * Saves a screenshot to test-results/monitor.png.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { collectionSource, filter, fixedDelayRestart, map, memoryStore, pipeline } from 'onceflow';
import { collectingSink } from 'onceflow/testing';

/** Where Debian's `chromium` package puts the browser; `.ci/run` installs it. */
const chromiumPath = process.env.ONCEFLOW_CHROMIUM ?? '/usr/bin/chromium';
const resultsDir = fileURLToPath(new URL('../../test-results/', import.meta.url));
const waitMs = 20_000;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function textOf(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent()) ?? '';
}

test('the monitor page shows a running job, its checkpoints, its restart and its throughput', async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium is not at ${chromiumPath}: run .ci/run, or apt-get install -y chromium (or set ONCEFLOW_CHROMIUM)`);
  }
  let checkpointed = false;
  let failed = false;
  const handle = pipeline({
    id: 'browser-watched',
    guarantee: 'at-least-once',
    checkpoints: { interval: 200, store: memoryStore() },
    restart: fixedDelayRestart({ attempts: 3, delay: 50 }),
    monitor: { port: 0 },
    logger: quiet,
  })
    // Long enough to outlast every wait below on a fast, idle machine (records flow at about a million a second).
    .from(collectionSource(Array.from({ length: 20_000_000 }, (_, i) => i), { chunkSize: 64 }))
    .pipe(
      map((x: number) => {
        // Once, after a checkpoint: the restart resumes from it.
        if (checkpointed && !failed) {
          failed = true;
          throw new Error(`lost the cache at redis://app:hunter2@cache.internal:6379 at record ${x}`);
        }
        return x * 2;
      }),
      filter((x: number) => x % 3 !== 0),
    )
    .to(collectingSink<number>({ slow: true }))
    .start();
  handle.events.subscribe((e) => (checkpointed ||= e.type === 'checkpoint-completed'));
  let browser: Browser | undefined;
  try {
    const url = await handle.monitorUrl;
    assert.ok(url, 'the job has a monitor URL');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(url);

    // Running, with the graph of source, two operators and sink, each with its guarantee.
    await page.getByTestId('job-status').filter({ hasText: 'running' }).waitFor({ timeout: waitMs });
    assert.is(await textOf(page, 'job-id'), 'browser-watched');
    assert.is(await textOf(page, 'job-guarantee'), 'at-least-once');
    const nodes = page.getByTestId('node');
    await page.waitForFunction(`document.querySelectorAll('[data-testid="node"]').length === 4`, undefined, { timeout: waitMs });
    const ids = await Promise.all([0, 1, 2, 3].map((i) => nodes.nth(i).getAttribute('data-node-id')));
    assert.equal(ids, ['0-collection', '0-map', '1-filter', 'sink-collect']);
    assert.match(await nodes.nth(0).textContent() ?? '', /source: collection\s*exactly-once/);
    assert.match(await nodes.nth(3).textContent() ?? '', /sink: collect\s*at-least-once/);

    // The restart, with its error, and the password in the URL masked.
    await page.getByTestId('restarts-row').first().waitFor({ timeout: waitMs });
    const restart = await page.getByTestId('restarts-row').first().textContent();
    assert.match(restart ?? '', /^2.*OperatorError: operator \S+ failed on record \d+ from 0-collection split collection at position \S+: lost the cache at redis:\/\/app:\*\*\*@cache\.internal:6379 at record \d+$/);
    await page.getByTestId('job-attempt').filter({ hasText: '2' }).waitFor({ timeout: waitMs });

    // Checkpoints keep completing after the restart; the history has Flink's columns.
    await page.waitForFunction(
      `Array.from(document.querySelectorAll('[data-testid="checkpoints-row"]')).filter((r) => r.textContent.includes('COMPLETED')).length >= 3`,
      undefined,
      { timeout: waitMs },
    );
    const headers = await page.getByTestId('checkpoints').locator('th').allTextContents();
    assert.equal(headers, ['ID', 'Status', 'Trigger time', 'End to end duration', 'Checkpointed data size', 'Alignment duration', 'Store write']);
    const cells = await page.getByTestId('checkpoints-row').first().locator('td').allTextContents();
    assert.match(cells[1] ?? '', /COMPLETED|IN_PROGRESS/);
    assert.match(await textOf(page, 'checkpoint-counts'), /restored from \d+/);
    const completedRow = page.getByTestId('checkpoints-row').filter({ hasText: 'COMPLETED' }).first();
    const [, , trigger, duration, size, alignment, write] = await completedRow.locator('td').allTextContents();
    assert.match(trigger ?? '', /^\d\d:\d\d:\d\d$/);
    assert.match(duration ?? '', /^[\d.]+ ms$/);
    assert.match(size ?? '', /^[\d.]+ (B|KiB)$/);
    assert.match(alignment ?? '', /^[\d.]+ ms$/);
    assert.match(write ?? '', /^[\d.]+ ms$/);

    // Live throughput: the chart has lines, and the sink's rate is not zero.
    await page.waitForFunction(`(document.querySelector('[data-testid="throughput-sink"]')?.getAttribute('points') ?? '').split(' ').length >= 4`, undefined, {
      timeout: waitMs,
    });
    await page.getByTestId('throughput-now').filter({ hasText: 'into the sink' }).waitFor({ timeout: waitMs });
    assert.not.match(await textOf(page, 'throughput-now'), / 0 rec\/s into the sink/);
    assert.match(await nodes.nth(3).getByTestId('node-rate').textContent() ?? '', /^[\d.]+[kM]? rec\/s, [\d.]+[kM]? in all$/);

    assert.not.match(await page.content(), /hunter2/);
    assert.ok(requested.every((r) => r.startsWith(url)), `only the monitor was asked for anything: ${requested.filter((r) => !r.startsWith(url)).join(', ')}`);
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: `${resultsDir}monitor.png`, fullPage: true });
  } finally {
    await browser?.close();
    await handle.stop();
  }
});

test.run();
