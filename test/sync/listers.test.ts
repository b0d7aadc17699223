import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { cachedLister, dockerHubLister, harborLister, indexLister } from '../../src/listers/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeClock, systemClock } from '../../src/clock.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';
import { tagsOf } from '../cli/helpers.js';
import { apiSession } from './api-session.js';

const servers: Array<{ close(): void }> = [];
after(() => servers.forEach((s) => s.close()));

async function api(handler: (req: IncomingMessage, body: string, res: ServerResponse, base: string) => void): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.setHeader('content-type', 'application/json');
      handler(req, body, res, url);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { url, seen };
}

describe('repository listers', () => {
  test('dockerhub: logs in for a JWT, lists any namespace following next, keeps images only, honours maxItems', async () => {
    const hub = await api((req, body, res, base) => {
      if (req.url === '/v2/users/login/') {
        assert.deepEqual(JSON.parse(body), { username: 'me', password: 'p$ss' });
        return res.end(JSON.stringify({ token: 'jwt-1' }));
      }
      if (req.url === '/v2/repositories/spaceone/?page_size=100') {
        return res.end(JSON.stringify({ next: `${base}/v2/repositories/spaceone/?page=2&page_size=100`, results: [{ name: 'a', namespace: 'spaceone', repository_type: 'image' }, { name: 'chart', namespace: 'spaceone', repository_type: 'helm' }] }));
      }
      if (req.url === '/v2/repositories/spaceone/?page=2&page_size=100') return res.end(JSON.stringify({ next: null, results: [{ name: 'b', namespace: 'spaceone', repository_type: 'image' }, { name: 'c', namespace: 'spaceone' }] }));
      res.statusCode = 404;
      res.end('{}');
    });
    const l = dockerHubLister({ session: apiSession(), namespace: 'spaceone', credentials: async () => ({ username: 'me', password: 'p$ss' }), maxItems: null, api: hub.url });
    assert.deepEqual(await l.list(), ['spaceone/a', 'spaceone/b', 'spaceone/c']);
    assert.ok(hub.seen.filter((s) => s.includes('/repositories/')).every((s) => s.endsWith('JWT jwt-1')));
    const capped = dockerHubLister({ session: apiSession(), namespace: 'spaceone', credentials: async () => undefined, maxItems: 2, api: hub.url });
    assert.deepEqual(await capped.list(), ['spaceone/a', 'spaceone/b']);
  });

  test('index: Hub search with n capped at 100', async () => {
    const idx = await api((req, _b, res) => res.end(JSON.stringify({ results: [{ name: 'redis' }, { name: 'bitnami/redis' }] })));
    const l = indexLister({ session: apiSession(), search: 'redis', maxItems: null, index: idx.url });
    assert.deepEqual(await l.list(), ['redis', 'bitnami/redis']);
    assert.match(idx.seen[0]!, /\/v1\/search\?q=redis&n=100/);
  });

  test('harbor: project repositories API with basic auth, pages of 100 until a short page', async () => {
    const names = Array.from({ length: 130 }, (_, i) => ({ name: `proj/r${i}` }));
    const h = await api((req, _b, res) => {
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page'));
      res.end(JSON.stringify(names.slice((page - 1) * 100, page * 100)));
    });
    const l = harborLister({ session: apiSession({ endpoint: h.url, registry: 'harbor.test' }), project: 'proj', credentials: async () => ({ username: 'robot$proj+ci', password: 'x' }), maxItems: null });
    assert.equal((await l.list()).length, 130);
    assert.equal(h.seen.length, 2);
    assert.match(h.seen[0]!, /\/api\/v2\.0\/projects\/proj\/repositories\?page=1&page_size=100 Basic /);
  });

  test('cache: reused for cacheDuration, refetched after; 0 means every call lists', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const inner = { describe: 'x', list: async () => [`r${++calls}`] };
    const c = cachedLister(inner, 60_000, clock);
    assert.deepEqual(await c.list(), ['r1']);
    await clock.advance(59_000);
    assert.deepEqual(await c.list(), ['r1']);
    await clock.advance(2_000);
    assert.deepEqual(await c.list(), ['r2']);
    const none = cachedLister(inner, 0, clock);
    await none.list();
    await none.list();
    assert.equal(none.listings, 2);
  });

  test('catalog + regex from against a real registry: matched repositories mapped by to (prefix rule and regex to), second run up to date', async () => {
    const [src, dst] = await Promise.all([registry(), registry()]);
    for (const r of ['team/web', 'team/api', 'other/x']) await pushImage(src, r, 'v1', makeImage({ kind: 'docker', layers: [16], seed: r }));
    const yaml = `lister: {maxItems: 100, cacheDuration: 1h}
tasks:
  - name: regex
    source: {registry: ${src.host}, auth: none}
    target: {registry: ${dst.host}, auth: none}
    mappings:
      - from: regex:team/.*
        to: mirror
        tags: [v1]
      - from: regex:other/.*
        to: regex:other/,copied/
        tags: [v1]
`;
    const { config } = parseConfig(yaml, 'regex.yaml');
    const bus = new SyncEventBus();
    const events: SyncEvent[] = [];
    bus.on((e) => events.push(e));
    const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus });
    const task = config.tasks[0]!;
    const summary = await rt.run(task);
    assert.equal(summary.ok, true, JSON.stringify(summary));
    assert.equal(summary.copied, 3);
    assert.deepEqual(await tagsOf(dst, 'mirror/team/web'), ['v1']);
    assert.deepEqual(await tagsOf(dst, 'mirror/team/api'), ['v1']);
    assert.deepEqual(await tagsOf(dst, 'copied/x'), ['v1']);
    const second = await rt.run(task);
    assert.equal(second.upToDate, 3);
    const planned = events.filter((e) => e.type === 'task-planned');
    assert.deepEqual(planned.map((e) => e.type === 'task-planned' && [e.images, e.toCopy, e.pullsNeeded]), [[3, 3, 3], [3, 0, 0]]);
    assert.equal(events.filter((e) => e.type === 'image-finished').length, 6);
    await rt.close();
  });
});
