/**
 * The HTML status page in headless Chromium (Debian `chromium`, driven by playwright-core): it shows the tasks,
 * refreshes itself after new events, and renders hostile task names and registry errors as text.
 * Saves a screenshot to test-artifacts/status-page.png.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { budgetEvent, emitRun, image } from './synthetic.js';
import { startOps } from './ops.js';

const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    assert.fail(`Chromium is not installed at ${CHROMIUM}: the status page test needs it (apt-get install -y chromium, or scripts/install-system-deps.sh)`);
  }
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  after(() => b.close());
  return b;
}

describe('status page in Chromium', () => {
  test('shows tasks, updates after new events, escapes user and registry text', async () => {
    const browser = await launch();
    const { bus, url } = await startOps();
    const now = Date.now();
    const evil = '<img src=x onerror="window.__pwned=1">';
    bus.emit({ type: 'config-loaded', file: '/config.yaml', tasks: ['docker-hub', 'quay-mirror', evil] });
    bus.emit({ type: 'scheduler-started' });
    bus.emit({ type: 'task-scheduled', task: 'docker-hub', nextRunAt: now + 3_600_000 });
    bus.emit(budgetEvent({ registry: 'docker.io', identity: 'ferrybot', limit: 200, remaining: 143, windowSeconds: 21600, reserve: 20 }));
    emitRun(bus, 'docker-hub', now - 95_000, now - 60_000, [
      image('docker-hub', 0, 'copied'),
      image('docker-hub', 1, 'up-to-date'),
      image('docker-hub', 2, 'up-to-date', { mapping: 1 }),
      image('docker-hub', 3, 'failed', { mapping: 1, reason: `manifest unknown </script><script>window.__pwned=2</script>` }),
    ]);
    emitRun(bus, 'quay-mirror', now - 30_000, now - 20_000, [image('quay-mirror', 0, 'copied', { bytes: 52_428_800 })]);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url + '/');
    const hub = page.locator('section[data-task="docker-hub"]');
    await hub.waitFor({ timeout: 10_000 });
    assert.equal(await hub.locator('.state').textContent(), 'failed');
    const hubText = (await hub.textContent()) ?? '';
    assert.match(hubText, /1 copied, 2 up to date, 1 failed, 0 skipped/);
    assert.match(hubText, /Next run.*in 59m|in 1h/);
    assert.match(hubText, /manifest unknown <\/script><script>window.__pwned=2<\/script>/, 'error text shown verbatim');
    assert.match((await page.locator('#budgets').textContent()) ?? '', /docker\.ioferrybot143 \/ 200 pulls left per 6h, reserve 20/);
    assert.equal(await page.locator('section[data-task="quay-mirror"] .state').textContent(), 'ok');
    assert.match((await page.locator('section[data-task="quay-mirror"]').textContent()) ?? '', /50\.0 MiB/);
    const evilName = await page.locator('section.task .name').nth(2).textContent();
    assert.equal(evilName, evil, 'the hostile task name is text');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined, 'nothing injected ran');
    assert.equal(await page.locator('section.task img').count(), 0);

    // new events: the page refreshes itself
    bus.emit({ type: 'task-started', task: 'quay-mirror', at: Date.now() });
    bus.emit({ type: 'image-started', task: 'quay-mirror', mapping: 0, source: 'quay.io/prometheus/node-exporter:v1.8.0', target: 'harbor.example/quay/node-exporter:v1.8.0' });
    await page.locator('section[data-task="quay-mirror"] .state', { hasText: 'running' }).waitFor({ timeout: 10_000 });
    assert.match((await page.locator('section[data-task="quay-mirror"] table.inflight').textContent()) ?? '', /node-exporter:v1\.8\.0/);
    await page.locator('#summary', { hasText: '1 copies in flight' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
  });
});
