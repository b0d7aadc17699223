/**
 * Credentials stay home, unit level (issue 14, items 1, 4, 5, 11): what no real registry sends — userinfo in a
 * realm, a Location or a link, an https→http link, a 401 on a HEAD, an URL undici refuses — through injected
 * transports, and redactUrl itself.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { dockerHubLister } from '../../src/listers/index.js';
import { staticCredentials } from '../../src/registry/auth/credentials.js';
import { RegistryClient } from '../../src/registry/client.js';
import { connectRegistry } from '../../src/registry/connect.js';
import { listTags } from '../../src/registry/listing.js';
import { createDispatcher, hasUserinfoText, redactUrl, undiciHttp, type HttpFn, type HttpRequest, type HttpResponse } from '../../src/registry/transport/http.js';
import { followRedirect } from '../../src/registry/transport/redirects.js';
import type { Clock } from '../../src/clock.js';
import { apiSession } from '../sync/api-session.js';

const SECRET = 'S3cretPass';
const creds = staticCredentials({ username: 'alice', password: SECRET });

function answer(status: number, headers: Record<string, string> = {}, body = ''): (req: HttpRequest) => HttpResponse {
  return (req) => ({ status, headers, body: Readable.from(body ? [Buffer.from(body)] : []), url: req.url });
}

/** A fake transport: `route(req)` answers; every request is recorded. */
function fake(route: (req: HttpRequest) => HttpResponse): { http: HttpFn; seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  return { seen, http: async (req) => (seen.push(req), route(req)) };
}

/** A clock whose sleeps return at once and are recorded: a retry shows as a sleep. */
function countingClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => 0, sleep: async (ms) => void slept.push(ms) };
}

describe('redactUrl', () => {
  test('removes userinfo and query strings, leaves the rest', () => {
    assert.equal(redactUrl(`https://alice:${SECRET}@reg.example.com:5000/v2/x?sig=1`), 'https://reg.example.com:5000/v2/x?…');
    assert.equal(redactUrl(`http://alice:${SECRET}@127.0.0.1:5000`), 'http://127.0.0.1:5000');
    assert.equal(redactUrl(`https://alice:pa/ss@reg.example.com/v2/`), 'https://reg.example.com/v2/');
    assert.equal(redactUrl('https://reg.example.com/v2/a@b/manifests/x'), 'https://reg.example.com/v2/a@b/manifests/x');
    assert.equal(redactUrl('/v2/x/tags/list?last=a'), '/v2/x/tags/list?…');
  });

  test('a password holding "?" or "#" is userinfo too, not the start of a query or fragment', () => {
    assert.equal(redactUrl('https://alice:pa?ss@reg.example.com/v2/'), 'https://reg.example.com/v2/');
    assert.equal(redactUrl('https://alice:1234?x@reg.example.com'), 'https://reg.example.com');
    assert.equal(redactUrl('https://alice:p#w@reg.example.com:5000/v2/a?b=c@d'), 'https://reg.example.com:5000/v2/a?…');
    assert.equal(hasUserinfoText('https://alice:1234?x@reg.example.com'), true, 'not host "alice", port 1234');
    assert.equal(hasUserinfoText('https://reg.example.com/v2/a@b'), false);
  });
});

describe('userinfo in URLs', () => {
  test('a redirect Location with user:password@ is refused', () => {
    const req: HttpRequest = { method: 'GET', url: 'https://reg.example.com/v2/a/blobs/sha256:00', headers: { authorization: 'Bearer t' } };
    const res = answer(307, { location: `https://alice:${SECRET}@cdn.example.com/blob` })(req);
    assert.throws(
      () => followRedirect(req, res, 'https://reg.example.com', new Set(), { registry: 'reg.example.com' }),
      (e: unknown) => isFerryError(e, 'REDIRECT_INVALID') && /user:password@/.test(e.message) && !e.message.includes(SECRET),
    );
  });

  test('a token realm with user:password@ is never contacted', async () => {
    const realmCalls: string[] = [];
    const { http } = fake(answer(401, { 'www-authenticate': `Bearer realm="https://bob:${SECRET}@auth.example.com/token",service="reg"` }));
    const c = new RegistryClient({ registry: 'reg.example.com', endpoint: 'https://reg.example.com', http, credentials: creds, httpForRealm: (u) => (realmCalls.push(u), http) });
    await assert.rejects(c.send({ method: 'GET', path: '/v2/a/tags/list', scopes: ['repository:a:pull'], expect: [200] }), (e: unknown) => {
      assert.ok(isFerryError(e, 'RESPONSE_INVALID'), String(e));
      assert.match(e.message, /realm \(https:\/\/auth\.example\.com\/token\) is not an http\(s\) URL without user:password@/);
      assert.ok(!e.message.includes(SECRET));
      return true;
    });
    assert.deepEqual(realmCalls, []);
  });

  test('an endpoint with user:password@ is refused without repeating the password', async () => {
    await assert.rejects(connectRegistry('127.0.0.1:5000', { endpoint: `https://alice:${SECRET}@127.0.0.1:5000` }), (e: unknown) => {
      assert.ok(isFerryError(e, 'CONFIG_INVALID'), String(e));
      assert.match(e.message, /userinfo \(user:password@\) is not allowed in an endpoint/);
      assert.ok(!e.message.includes(SECRET), e.message);
      return true;
    });
    assert.throws(
      () => new RegistryClient({ registry: 'r', endpoint: `https://alice:${SECRET}@r.example.com`, http: fake(answer(200)).http }),
      (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && !e.message.includes(SECRET),
    );
  });
});

describe('a 401 from another origin', () => {
  test('a redirect to a CDN that answers 401 with its own challenge: fails, no realm contacted, the registry token stays', async () => {
    const realmCalls: string[] = [];
    let tokens = 0;
    const { http, seen } = fake((req) => {
      const u = new URL(req.url);
      if (u.host === 'reg.example.com') {
        if (u.pathname === '/v2/') return answer(401, { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg"' })(req);
        if (req.headers.authorization !== 'Bearer good') return answer(401, { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg"' })(req);
        if (u.pathname.includes('/blobs/')) return answer(307, { location: 'https://cdn.example.net/blob?sig=1' })(req);
        return answer(200, {}, '{"tags":["v1"]}')(req);
      }
      if (u.host === 'auth.example.com') return (tokens++, answer(200, {}, '{"token":"good","expires_in":3600}')(req));
      if (u.host === 'cdn.example.net') return answer(401, { 'www-authenticate': 'Bearer realm="https://evil.example.org/token",service="evil"' })(req);
      realmCalls.push(req.url);
      return answer(200, {}, '{"token":"evil"}')(req);
    });
    const c = new RegistryClient({ registry: 'reg.example.com', endpoint: 'https://reg.example.com', http, credentials: creds, httpForRealm: () => http });
    await assert.rejects(c.send({ method: 'GET', path: '/v2/a/blobs/sha256:00', scopes: ['repository:a:pull'], expect: [200], followRedirects: true }), (e: unknown) => {
      assert.ok(isFerryError(e, 'UNAUTHORIZED'), String(e));
      assert.match(e.message, /https:\/\/cdn\.example\.net\/blob\?… \(outside the registry's origin https:\/\/reg\.example\.com\) answered HTTP 401/);
      return true;
    });
    assert.deepEqual(realmCalls, [], 'the third host was never asked');
    assert.equal(seen.filter((r) => r.url.startsWith('https://cdn.')).length, 1, 'the CDN was asked once, not retried with credentials');
    assert.ok(seen.every((r) => !r.url.startsWith('https://cdn.') || r.headers.authorization === undefined));
    const before = tokens;
    assert.deepEqual(await listTags(c, 'a'), ['v1']);
    assert.equal(tokens, before, 'the cached registry token was used');
    assert.equal(seen.at(-1)?.headers.authorization, 'Bearer good');
  });
});

describe('pagination stays on its origin', () => {
  test('a next link from https to http on the same host is refused', async () => {
    const { http, seen } = fake(answer(200, { link: '<http://reg.example.com/v2/a/tags/list?last=v1>; rel="next"' }, '{"tags":["v1"]}'));
    const c = new RegistryClient({ registry: 'reg.example.com', endpoint: 'https://reg.example.com', http });
    await assert.rejects(listTags(c, 'a'), (e: unknown) => isFerryError(e, 'RESPONSE_INVALID') && /away from https:\/\/reg\.example\.com/.test(e.message));
    assert.equal(seen.filter((r) => r.url.startsWith('http://')).length, 0);
  });

  test("the dockerhub lister follows next only on Hub's API origin", async () => {
    const seen: string[] = [];
    const hub = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v2/users/login/') return res.end('{"token":"jwt"}');
      res.end(JSON.stringify({ next: 'http://127.0.0.2:9/v2/repositories/ns/?page=2', results: [{ name: 'a', namespace: 'ns' }] }));
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    after(() => hub.close());
    const api = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
    const l = dockerHubLister({ session: apiSession(), namespace: 'ns', credentials: async () => ({ username: 'alice', password: SECRET }), maxItems: null, api });
    await assert.rejects(l.list(), (e: unknown) => isFerryError(e, 'RESPONSE_INVALID') && /must stay on http:\/\/127\.0\.0\.1:\d+/.test(e.message));
    assert.deepEqual(seen, ['POST /v2/users/login/', 'GET /v2/repositories/ns/?page_size=100']);
  });
});

describe('small ones', () => {
  test('a 401 on a HEAD says HTTP 401 once', async () => {
    const { http } = fake(answer(401));
    const c = new RegistryClient({ registry: 'reg.example.com', endpoint: 'https://reg.example.com', http });
    await assert.rejects(c.send({ method: 'HEAD', path: '/v2/a/manifests/v1', scopes: [], expect: [200] }), (e: unknown) => {
      assert.ok(isFerryError(e, 'UNAUTHORIZED'));
      assert.match(e.message, /^HEAD failed for registry reg\.example\.com: HTTP 401; no credentials/);
      assert.doesNotMatch(e.message, /HTTP 401 HTTP 401/);
      return true;
    });
  });

  test("undici's invalid-path error is not retried", async () => {
    const srv = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    after(() => srv.close());
    const dispatcher = createDispatcher();
    after(() => dispatcher.close());
    const clock = countingClock();
    const c = new RegistryClient({ registry: 'r', endpoint: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, http: undiciHttp(dispatcher), clock });
    for (const method of ['HEAD', 'GET'] as const) {
      await assert.rejects(c.send({ method, path: '/v2/a/manifests/x\ny', scopes: [], expect: [200] }), (e: unknown) => {
        assert.ok(isFerryError(e, 'REQUEST_INVALID'), String(e));
        assert.equal(e.retryable, false);
        assert.match(e.message, /cannot send the request/);
        return true;
      });
    }
    assert.deepEqual(clock.slept, [], 'no backoff');
  });
});
