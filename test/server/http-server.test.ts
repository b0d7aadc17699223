/** Every ops endpoint scraped with a real HTTP client (undici), after synthetic sync events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { parseListenAddress } from '../../src/server/http-server.js';
import { METRIC } from '../../src/server/metrics.js';
import { budgetEvent, emitRun, image } from './synthetic.js';
import { parseMetrics, startOps } from './ops.js';

async function get(url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET'): Promise<{ status: number; type: string; body: string; headers: Record<string, unknown> }> {
  const r = await request(url, { method });
  return { status: r.statusCode, type: String(r.headers['content-type']), body: await r.body.text(), headers: r.headers };
}

describe('ops HTTP server', () => {
  test('listen addresses', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9090'), { host: '127.0.0.1', port: 9090 });
    assert.deepEqual(parseListenAddress(':9090'), { host: undefined, port: 9090 });
    assert.deepEqual(parseListenAddress('9090'), { host: '127.0.0.1', port: 9090 }, 'a bare port is loopback only');
    assert.deepEqual(parseListenAddress('0.0.0.0:9090'), { host: '0.0.0.0', port: 9090 });
    assert.deepEqual(parseListenAddress('[::1]:9090'), { host: '::1', port: 9090 });
    assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
    for (const bad of ['', 'x', '127.0.0.1', '1.2.3.4:99999', 'http://a:1']) assert.throws(() => parseListenAddress(bad), /--listen takes HOST:PORT/, bad);
  });

  test('/healthz is always 200; /readyz follows config loading and the scheduler', async () => {
    const { bus, url } = await startOps();
    assert.equal((await get(`${url}/healthz`)).status, 200);
    let r = await get(`${url}/readyz`);
    assert.equal(r.status, 503);
    assert.match(r.body, /config not loaded, scheduler not running/);
    bus.emit({ type: 'config-loaded', file: '/config.yaml', tasks: ['hub'] });
    r = await get(`${url}/readyz`);
    assert.equal(r.status, 503);
    assert.match(r.body, /not ready: scheduler not running/);
    bus.emit({ type: 'scheduler-started' });
    assert.equal((await get(`${url}/readyz`)).status, 200);
    bus.emit({ type: 'scheduler-stopped' });
    assert.equal((await get(`${url}/readyz`)).status, 503);
    assert.equal((await get(`${url}/healthz`)).status, 200);
  });

  test('/metrics: names and values after synthetic runs', async () => {
    const { bus, url } = await startOps();
    bus.emit({ type: 'config-loaded', file: 'c.yaml', tasks: ['hub', 'idle-task'] });
    bus.emit({ type: 'scheduler-started' });
    emitRun(bus, 'hub', 1_700_000_000_000, 1_700_000_042_000, [image('hub', 0, 'copied'), image('hub', 1, 'copied'), image('hub', 2, 'up-to-date'), image('hub', 3, 'failed')]);
    emitRun(bus, 'hub', 1_700_000_100_000, 1_700_000_103_000, [image('hub', 0, 'up-to-date'), image('hub', 4, 'skipped')]);
    bus.emit(budgetEvent({ registry: 'docker.io', identity: 'robot', limit: 200, remaining: 57, reserve: 10, waitingUntilMs: 1 }));
    bus.emit({ type: 'task-started', task: 'hub', at: 1 });
    bus.emit({ type: 'image-started', task: 'hub', mapping: 0, source: 'a', target: 'b' });
    const r = await get(`${url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(r.body);
    const v = (k: string): number | undefined => m.get(k);
    assert.equal(v(`${METRIC.imagesCopied}{task="hub"}`), 2);
    assert.equal(v(`${METRIC.imagesUpToDate}{task="hub"}`), 2);
    assert.equal(v(`${METRIC.imagesFailed}{task="hub"}`), 1);
    assert.equal(v(`${METRIC.imagesSkipped}{task="hub"}`), 1);
    assert.equal(v(`${METRIC.imagesCopied}{task="idle-task"}`), 0, 'series exist for every configured task');
    assert.equal(v(`${METRIC.bytes}{task="hub"}`), 3000);
    assert.equal(v(`${METRIC.pulls}{task="hub"}`), 2);
    assert.equal(v(`${METRIC.taskRuns}{task="hub",result="failed"}`), 1);
    assert.equal(v(`${METRIC.taskRuns}{task="hub",result="ok"}`), 1);
    assert.equal(v(`${METRIC.taskDuration}_count{task="hub"}`), 2);
    assert.equal(v(`${METRIC.taskDuration}_sum{task="hub"}`), 45);
    assert.equal(v(`${METRIC.taskDuration}_bucket{le="60",task="hub"}`), 2);
    assert.equal(v(`${METRIC.taskDuration}_bucket{le="30",task="hub"}`), 1);
    assert.equal(v(`${METRIC.lastSuccess}{task="hub"}`), 1_700_000_103);
    assert.equal(v(`${METRIC.lastRun}{task="hub"}`), 1_700_000_103);
    assert.equal(v(`${METRIC.budgetRemaining}{registry="docker.io",identity="robot"}`), 57);
    assert.equal(v(`${METRIC.budgetLimit}{registry="docker.io",identity="robot"}`), 200);
    assert.equal(v(`${METRIC.budgetWaits}{registry="docker.io",identity="robot"}`), 1);
    assert.equal(v(`${METRIC.inFlight}{task="hub"}`), 1);
    assert.equal(v(`${METRIC.schedulerRunning}`), 1);
    assert.ok(v('process_cpu_user_seconds_total') !== undefined, 'process metrics are exported');
    bus.emit({ type: 'image-finished', report: { ...image('hub', 9, 'copied'), source: 'a', target: 'b' } });
    assert.equal(parseMetrics((await get(`${url}/metrics`)).body).get(`${METRIC.inFlight}{task="hub"}`), 0);
  });

  test('two servers in one process keep separate metrics (no global registry)', async () => {
    const a = await startOps();
    const b = await startOps();
    emitRun(a.bus, 'only-a', 0, 1000, [image('only-a', 0, 'copied')]);
    const mb = parseMetrics((await get(`${b.url}/metrics`)).body);
    assert.equal(mb.get(`${METRIC.imagesCopied}{task="only-a"}`), undefined);
    assert.equal(parseMetrics((await get(`${a.url}/metrics`)).body).get(`${METRIC.imagesCopied}{task="only-a"}`), 1);
  });

  test('/status JSON, the page, HEAD, 404 and 405', async () => {
    const { bus, url } = await startOps();
    bus.emit({ type: 'config-loaded', file: '/config.yaml', tasks: ['hub'] });
    bus.emit({ type: 'task-scheduled', task: 'hub', nextRunAt: 99 });
    emitRun(bus, 'hub', 10, 20, [image('hub', 0, 'failed')]);
    const s = await get(`${url}/status`);
    assert.equal(s.status, 200);
    assert.match(s.type, /^application\/json/);
    const j = JSON.parse(s.body) as { configLoaded: boolean; tasks: { name: string; nextRunAt: number; lastRun: { result: string; errors: { message: string }[] } }[] };
    assert.equal(j.configLoaded, true);
    assert.equal(j.tasks[0]?.name, 'hub');
    assert.equal(j.tasks[0]?.nextRunAt, 99);
    assert.equal(j.tasks[0]?.lastRun.result, 'failed');
    assert.match(j.tasks[0]?.lastRun.errors[0]?.message ?? '', /denied/);
    const page = await get(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.body, /<title>ferry status<\/title>/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'sha256-/);
    const head = await get(`${url}/metrics`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(`${url}/nope`)).status, 404);
    assert.equal((await get(`${url}/status?x=1`)).status, 200);
    assert.equal((await get(`${url}/healthz`, 'POST')).status, 405);
  });

  test('a port in use is a clear error', async () => {
    const a = await startOps();
    const { startOpsServer } = await import('../../src/server/http-server.js');
    const { StatusStore } = await import('../../src/server/status-store.js');
    const { createMetrics } = await import('../../src/server/metrics.js');
    const { silentLogger } = await import('../../src/log/logger.js');
    await assert.rejects(
      startOpsServer({ listen: `127.0.0.1:${a.server.port}`, store: new StatusStore(a.projection), metrics: createMetrics(a.projection, { processMetrics: false }), logger: silentLogger }),
      /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
  });
});
