/**
 * Issue 14 item 10: the ops server against other local users and hostile web pages (DNS rebinding): loopback for
 * a bare port, Host checks on the state-revealing endpoints, an optional token, nosniff, sanitised errors.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { hostAllowed, startOpsServer, tokenMatches, type OpsServerOptions } from '../../src/server/http-server.js';
import { createMetrics } from '../../src/server/metrics.js';
import { setupOperations } from '../../src/server/operations.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { image, projected, summary } from './synthetic.js';

async function start(o: Partial<OpsServerOptions> = {}) {
  const { bus, projection, store } = projected();
  const server = await startOpsServer({ listen: '127.0.0.1:0', store, metrics: createMetrics(projection), logger: silentLogger, ...o });
  after(() => server.close());
  return { bus, server, port: server.port };
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, setHost: !('host' in headers) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const ALL = ['/', '/index.html', '/status', '/metrics', '/healthz', '/readyz', '/nope'];

describe('ops server hardening', () => {
  test('a bare port binds 127.0.0.1 only', async () => {
    const { server } = await start({ listen: '0' });
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
  });

  test('Host check: IP literals, localhost and --listen-host names pass for / and /status; other names get 421', async () => {
    const { port } = await start({ allowedHosts: ['ferry.internal', 'Ops.Example.'] });
    for (const host of [`127.0.0.1:${port}`, '10.1.2.3', `[::1]:${port}`, `localhost:${port}`, 'LOCALHOST', 'a.localhost', 'ferry.internal:9090', 'ops.example', 'OPS.EXAMPLE.']) {
      for (const path of ['/', '/status']) assert.equal((await get(port, path, { host })).status, 200, `${host} ${path}`);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'ferry.internal.evil.example', 'localhost.evil.example', '127.0.0.1.nip.io']) {
      for (const path of ['/', '/index.html', '/status']) {
        const r = await get(port, path, { host });
        assert.equal(r.status, 421, `${host} ${path}`);
        assert.match(r.body, /is not allowed for .*--listen-host/);
        assert.doesNotMatch(r.body, /"tasks"/, 'no state leaked');
      }
    }
    const esc = await get(port, '/status', { host: 'evil\u001b[31m.example' }).catch(() => undefined);
    if (esc) assert.ok(!esc.body.includes('\u001b'), 'the Host header is escaped in the answer');
  });

  test('/metrics, /healthz and /readyz answer any Host (kubelet and Prometheus use the pod IP or a service name)', async () => {
    const { port } = await start();
    for (const path of ['/metrics', '/healthz']) assert.equal((await get(port, path, { host: 'ferry.monitoring.svc.cluster.local:9090' })).status, 200, path);
    assert.equal((await get(port, '/readyz', { host: 'anything.example' })).status, 503, 'answered (not ready yet), not refused');
  });

  test('with a token, / and /status need it (Bearer, or Basic with the token as password); probes do not', async () => {
    const token = 'tok-3f9a1c';
    const { port } = await start({ token });
    for (const path of ['/', '/status']) {
      const r = await get(port, path);
      assert.equal(r.status, 401, path);
      assert.match(String(r.headers['www-authenticate']), /Bearer realm="ferry".*Basic realm="ferry"/);
      assert.ok(!r.body.includes(token));
      assert.equal((await get(port, path, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await get(port, path, { authorization: `Bearer ${token}` })).status, 200);
      assert.equal((await get(port, path, { authorization: `Basic ${Buffer.from(`me:${token}`).toString('base64')}` })).status, 200);
      assert.equal((await get(port, path, { authorization: `Basic ${Buffer.from(`${token}:x`).toString('base64')}` })).status, 401);
    }
    for (const path of ['/metrics', '/healthz']) assert.equal((await get(port, path)).status, 200, path);
    assert.equal((await get(port, '/status', { host: 'evil.example', authorization: `Bearer ${token}` })).status, 421, 'the token does not lift the Host check');
    assert.ok(tokenMatches(`bearer ${token}`, token));
    assert.ok(!tokenMatches(`Bearer ${token}x`, token));
    assert.ok(!tokenMatches(undefined, token));
  });

  test('every response sends X-Content-Type-Options: nosniff', async () => {
    const { port } = await start({ token: 't' });
    for (const path of ALL) {
      for (const headers of [{}, { authorization: 'Bearer t' }, { host: 'evil.example' }] as Record<string, string>[]) {
        const r = await get(port, path, headers);
        assert.equal(r.headers['x-content-type-options'], 'nosniff', `${path} ${JSON.stringify(headers)} → ${r.status}`);
      }
    }
    assert.equal((await get(port, '/healthz', {}, 'POST')).headers['x-content-type-options'], 'nosniff', '405 too');
  });

  test('registry error text in /status is one line without control characters, at most 300 characters', async () => {
    const { bus, port } = await start();
    const hostile = `HTTP 500 \u001b[2J\u001b[31mfake\nlevel=error msg="forged"\r\n\u202eevil ${'x'.repeat(2000)}`;
    const failed = image('hub', 0, 'failed', { reason: hostile });
    bus.emit({ type: 'task-started', task: 'hub', at: 0 });
    bus.emit({ type: 'image-started', task: 'hub', mapping: 0, source: failed.source, target: failed.target });
    bus.emit({ type: 'image-finished', report: failed });
    bus.emit({ type: 'task-finished', summary: summary('hub', 0, 1, [failed], { error: `listing failed: ${hostile}` }) });
    bus.emit({ type: 'task-skipped', task: 'hub', reason: `busy\n${hostile}` });
    const s = JSON.parse((await get(port, '/status')).body) as { tasks: Array<{ lastRun: { error: string; errors: Array<{ message: string }> }; lastSkip?: { reason: string } }> };
    const t = s.tasks[0]!;
    const texts = [t.lastRun.error, t.lastRun.errors[0]!.message, ...(t.lastSkip ? [t.lastSkip.reason] : [])];
    for (const text of texts) {
      assert.ok(text.length <= 300, `${text.length} characters`);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u202e]/);
    }
    assert.match(t.lastRun.errors[0]!.message, /^HTTP 500 \[2J\[31mfake level=error msg="forged" evil x+…$/);
  });

  test('--listen-token-file: read once, trimmed; missing, empty or without --listen is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-token-'));
    const file = join(dir, 'token');
    await writeFile(file, 's3cr3t-token\n', { mode: 0o600 });
    const ops = await setupOperations({ bus: new SyncEventBus(), logger: silentLogger, listen: '127.0.0.1:0', listenTokenFile: file, listenHosts: ['ops.example'] });
    after(() => ops.close());
    const port = ops.server!.port;
    assert.equal((await get(port, '/status', { host: 'ops.example' })).status, 401);
    assert.equal((await get(port, '/status', { host: 'ops.example', authorization: 'Bearer s3cr3t-token' })).status, 200);
    await writeFile(join(dir, 'empty'), '\n');
    await assert.rejects(setupOperations({ bus: new SyncEventBus(), logger: silentLogger, listen: '127.0.0.1:0', listenTokenFile: join(dir, 'empty') }), /is empty/);
    await assert.rejects(setupOperations({ bus: new SyncEventBus(), logger: silentLogger, listen: '127.0.0.1:0', listenTokenFile: join(dir, 'missing') }), /cannot read it \(ENOENT\)/);
    await assert.rejects(setupOperations({ bus: new SyncEventBus(), logger: silentLogger, listenTokenFile: file }), /need --listen/);
  });

  test('hostAllowed parsing', () => {
    assert.ok(hostAllowed('127.0.0.1'));
    assert.ok(hostAllowed('[::ffff:127.0.0.1]:80'));
    assert.ok(!hostAllowed(undefined), 'no Host header');
    assert.ok(!hostAllowed(''));
    assert.ok(!hostAllowed('a b'));
    assert.ok(!hostAllowed('evil.example@127.0.0.1'));
    assert.ok(!hostAllowed('localhost:80:80'));
  });
});
