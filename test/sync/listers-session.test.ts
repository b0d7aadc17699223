/**
 * The Hub, Harbor and index listers go through the source registry's session: its retries and its status mapping
 * apply, and so do its TLS settings (certs-dir) where the API is on the registry's own origin (Harbor). Docker Hub's
 * API is on another origin and takes a password: the registry's TLS settings never reach it. No real registry here
 * serves Hub's or Harbor's JSON APIs, so they are in-process fakes, served on loopback (over TLS with a private CA
 * where TLS is what is tested).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/index.js';
import { encodeDregsyAuth } from '../../src/credentials/dregsy-auth.js';
import { isFerryError } from '../../src/errors.js';
import { dockerHubLister, harborLister, indexLister } from '../../src/listers/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectRegistry } from '../../src/registry/connect.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { layoutCertsDir, makeTestPki, type TestPki } from '../harness/certs.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => unknown;

let pki: TestPki;
const servers: Array<Server | ReturnType<typeof createHttpServer>> = [];
before(async () => {
  pki = await makeTestPki(await mkdtemp(join(tmpdir(), 'ferry-lister-pki-')));
});
after(() => servers.forEach((s) => s.close()));

/**
 * An API on loopback, over HTTPS with the test CA's server certificate (or plain HTTP when `plain`); records
 * `METHOD path authorization`.
 */
async function tlsApi(handler: Handler, plain = false): Promise<{ url: string; host: string; seen: string[] }> {
  const seen: string[] = [];
  const tls = { cert: readFileSync(pki.serverCertPath), key: readFileSync(pki.serverKeyPath) };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`.trim());
      res.setHeader('content-type', 'application/json');
      handler(req, body, res);
    });
  };
  const srv = plain ? createHttpServer(listener) : createServer(tls, listener);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  const host = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { url: `${plain ? 'http' : 'https'}://${host}`, host, seen };
}

function countingClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => 0, sleep: async (ms) => void slept.push(ms) };
}

/** A docker.io session whose certs-dir trusts the test CA (the registry's TLS settings; Hub's API never gets them). */
async function hubSession(clock: Clock, o: { tlsVerify?: boolean } = {}) {
  const root = await mkdtemp(join(tmpdir(), 'ferry-hub-certs-'));
  await layoutCertsDir(root, 'docker.io', pki);
  const session = await connectRegistry('docker.io', { certsDir: root, ...o }, { clock, random: () => 0 });
  after(() => session.close());
  return session;
}

const HARBOR_AUTH = encodeDregsyAuth('robot$proj+ci', 'harbor-secret');

/** A Harbor-shaped API: project `proj` lists two repositories to the robot account, 401 without it, 404 for others. */
function harbor(req: IncomingMessage, _body: string, res: ServerResponse): unknown {
  const url = new URL(req.url ?? '/', 'https://x');
  if (url.pathname === '/v2/') return res.end('{}');
  const m = /^\/api\/v2\.0\/projects\/([^/]+)\/repositories$/.exec(url.pathname);
  const expected = `Basic ${Buffer.from('robot$proj+ci:harbor-secret').toString('base64')}`;
  if (m && req.headers.authorization !== expected) {
    res.statusCode = 401;
    return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}');
  }
  if (m?.[1] === 'proj') return res.end(JSON.stringify([{ name: 'proj/web' }, { name: 'proj/api' }]));
  res.statusCode = 404;
  res.end('{"errors":[{"code":"NOT_FOUND","message":"project not found"}]}');
}

function harborConfig(host: string, certsDir: string | undefined, auth: string, project = 'proj') {
  const yaml = `${certsDir ? `registries:\n  '${host}': { certs-dir: '${certsDir}' }\n` : ''}tasks:
  - name: h
    source: { registry: '${host}', auth: '${auth}', lister: { type: harbor } }
    target: { registry: '127.0.0.1:9', auth: none }
    mappings:
      - { from: 'regex:${project}/.*', to: mirror }
`;
  const { config } = parseConfig(yaml, 'harbor.yaml');
  const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus: new SyncEventBus(), dockerConfig: { get: async () => undefined } });
  after(() => rt.close());
  const task = config.tasks[0]!;
  return rt.listers(task)!.for(task.mappings[0]!);
}

describe('listers over the source registry session', () => {
  test("a Harbor behind a private CA is listed with its registries: certs-dir, and not without it", async () => {
    const h = await tlsApi(harbor);
    const dir = join(await mkdtemp(join(tmpdir(), 'ferry-harbor-certs-')), 'h');
    await layoutCertsDir(dir, '', pki); // <dir>/ca.crt: a registries: entry's certs-dir holds its files directly
    assert.deepEqual(await harborConfig(h.host, dir, HARBOR_AUTH).list(), ['proj/web', 'proj/api']);
    assert.ok(h.seen.some((s) => s.startsWith('GET /api/v2.0/projects/proj/repositories?page=1&page_size=100 Basic ')));
    await assert.rejects(harborConfig(h.host, undefined, HARBOR_AUTH).list(), (e: unknown) => {
      assert.ok(isFerryError(e, 'TLS_ERROR'), String(e));
      assert.match(e.message, /listing Harbor project proj/);
      assert.match(e.message, /cannot be verified/);
      return true;
    });
  });

  test('Harbor: 401 and 404 map to UNAUTHORIZED and NOT_FOUND, naming the registry and what to do, without secrets', async () => {
    const h = await tlsApi(harbor);
    const dir = join(await mkdtemp(join(tmpdir(), 'ferry-harbor-certs-')), 'h');
    await layoutCertsDir(dir, '', pki);
    await assert.rejects(harborConfig(h.host, dir, encodeDregsyAuth('robot$proj+ci', 'wrong')).list(), (e: unknown) => {
      assert.ok(isFerryError(e, 'UNAUTHORIZED'), String(e));
      assert.equal(e.context.status, 401);
      assert.match(e.message, new RegExp(`^listing Harbor project proj \\(registry ${h.host}\\): GET https://${h.host}/api/v2\\.0/projects/proj/repositories answered HTTP 401; Harbor rejected the source's credentials: check the auth: of this task`));
      assert.doesNotMatch(e.message, /wrong|page_size/);
      return true;
    });
    await assert.rejects(harborConfig(h.host, dir, HARBOR_AUTH, 'nope').list(), (e: unknown) => {
      assert.ok(isFerryError(e, 'NOT_FOUND'), String(e));
      assert.match(e.message, new RegExp(`registry ${h.host}\\).*HTTP 404; there is no Harbor project nope here .*check the project`));
      return true;
    });
  });

  test("a 503 from Hub's API is retried with backoff; the registry's credentials never reach the API", async () => {
    let fails = 2;
    const hub = await tlsApi((req, body, res) => {
      if (req.url === '/v2/users/login/') {
        assert.deepEqual(JSON.parse(body), { username: 'me', password: 'hub-secret' });
        return res.end('{"token":"jwt-1"}');
      }
      if (fails-- > 0) {
        res.statusCode = 503;
        return res.end('{"message":"unavailable"}');
      }
      res.end(JSON.stringify({ next: null, results: [{ name: 'a', namespace: 'me' }] }));
    }, true);
    const clock = countingClock();
    const session = await hubSession(clock);
    const l = dockerHubLister({ session: async () => session, credentials: async () => ({ username: 'me', password: 'hub-secret' }), maxItems: null, api: hub.url });
    assert.deepEqual(await l.list(), ['me/a']);
    assert.deepEqual(hub.seen, ['POST /v2/users/login/', ...Array(3).fill('GET /v2/repositories/me/?page_size=100 JWT jwt-1')]);
    assert.equal(clock.slept.length, 2, 'two backoff pauses, on the injected clock');
  });

  test("Hub: a refused login is UNAUTHORIZED, an unknown namespace NOT_FOUND, an index search's 503s end as REGISTRY_UNAVAILABLE", async () => {
    const hub = await tlsApi((req, _body, res) => {
      res.statusCode = req.url === '/v2/users/login/' ? 401 : req.url?.startsWith('/v1/search') ? 503 : 404;
      res.end('{"detail":"no"}');
    }, true);
    const clock = countingClock();
    const session = await hubSession(clock);
    const login = dockerHubLister({ session: async () => session, credentials: async () => ({ username: 'me', password: 'hub-secret' }), maxItems: null, api: hub.url });
    await assert.rejects(login.list(), (e: unknown) => {
      assert.ok(isFerryError(e, 'UNAUTHORIZED'), String(e));
      assert.match(e.message, /^Docker Hub login \(registry docker\.io\): POST http:\/\/127\.0\.0\.1:\d+\/v2\/users\/login\/ answered HTTP 401; Docker Hub refused the login of me: check the source's auth/);
      assert.doesNotMatch(e.message, /hub-secret/);
      return true;
    });
    const anon = dockerHubLister({ session: async () => session, namespace: 'ghost', credentials: async () => undefined, maxItems: null, api: hub.url });
    await assert.rejects(anon.list(), (e: unknown) => isFerryError(e, 'NOT_FOUND') && /listing Docker Hub namespace ghost \(registry docker\.io\).*HTTP 404; Docker Hub has no namespace ghost/.test(e.message));
    const search = indexLister({ session: async () => session, search: 'redis', maxItems: null, index: hub.url });
    const slept = clock.slept.length;
    await assert.rejects(search.list(), (e: unknown) => isFerryError(e, 'REGISTRY_UNAVAILABLE') && /HTTP 503; the API failed on its side \(ferry retried it\)/.test(e.message));
    assert.ok(clock.slept.length - slept >= 2, 'the search was retried before failing');
  });

  test("Docker Hub's API never gets the registry's TLS settings: skip-tls-verify or a certs-dir CA, no password is sent", async () => {
    const hub = await tlsApi((_req, _body, res) => res.end('{"token":"jwt-1"}'));
    for (const o of [{ tlsVerify: false }, {}]) {
      const session = await hubSession(countingClock(), o);
      const l = dockerHubLister({ session: async () => session, credentials: async () => ({ username: 'me', password: 'hub-secret' }), maxItems: null, api: hub.url });
      await assert.rejects(l.list(), (e: unknown) => isFerryError(e, 'TLS_ERROR') && !/hub-secret/.test(e.message));
    }
    assert.deepEqual(hub.seen, [], 'the login never reached a server whose certificate did not verify');
  });
});
