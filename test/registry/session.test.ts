/**
 * A RegistryClient is one session: it opens its transport and closes it, records what it learned in a profile
 * of its own, and gives each logical operation one retry budget. Real HTTP on loopback where it matters.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { RegistryClient } from '../../src/registry/client.js';
import { connectRegistry } from '../../src/registry/connect.js';
import { RetryBudget } from '../../src/registry/retry-budget.js';
import { drain } from '../../src/registry/transport/http.js';
import { SchemeMemory } from '../../src/registry/transport/scheme.js';

async function plainRegistry(): Promise<{ host: string; requests: string[] }> {
  const requests: string[] = [];
  const srv: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
    res.end('{}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => srv.close());
  return { host: `127.0.0.1:${(srv.address() as AddressInfo).port}`, requests };
}

const ping = async (c: RegistryClient): Promise<void> => drain((await c.send({ method: 'GET', path: '/v2/', scopes: [], expect: [200] })).body);

describe('the session', () => {
  test('closing it closes the transport it opened: a request afterwards fails, and closing again is harmless', async () => {
    const reg = await plainRegistry();
    const c = await connectRegistry(reg.host, { endpoint: `http://${reg.host}` }, { backoff: { attempts: 1, baseMs: 1, maxMs: 1 } });
    await ping(c);
    const before = reg.requests.length;
    await c.close();
    await assert.rejects(ping(c), (e: unknown) => isFerryError(e, 'NETWORK_ERROR') && /destroyed|closed/.test(e.message));
    assert.equal(reg.requests.length, before, 'nothing reached the registry after close');
    await c.close();
  });

  test('a session opened on a registry without TLS uses http, through the transport it probed with, and records the scheme in its profile', async () => {
    const reg = await plainRegistry();
    const seen: string[] = [];
    const c = await RegistryClient.open({
      registry: reg.host,
      endpoint: `https://${reg.host}`,
      httpFallback: true,
      schemes: new SchemeMemory(),
      wrapHttp: (http) => (req) => (seen.push(`${req.method} ${req.url}`), http(req)),
    });
    try {
      assert.equal(c.endpoint, `http://${reg.host}`);
      assert.equal(c.profile.scheme, 'http');
      await ping(c);
      // the probe (https, then http), then the session's own requests (the auth ping, the request) on http
      assert.deepEqual(seen, [`GET https://${reg.host}/v2/`, ...Array(3).fill(`GET http://${reg.host}/v2/`)]);
    } finally {
      await c.close();
    }
  });

  test('what one session learns stays in its profile: another session to the same registry starts afresh', async () => {
    const reg = await plainRegistry();
    const a = await connectRegistry(reg.host, { endpoint: `http://${reg.host}` });
    const b = await connectRegistry(reg.host, { endpoint: `http://${reg.host}` });
    try {
      a.profile.refusesTagList = true;
      a.profile.needsChunks = true;
      a.profile.selfMount = 'works';
      assert.deepEqual([b.profile.refusesTagList, b.profile.needsChunks, b.profile.selfMount], [false, false, undefined]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('RetryBudget', () => {
  test('hands out retries numbered across every layer that draws, then none', () => {
    const budget = new RetryBudget(3);
    assert.deepEqual([budget.draw(), budget.draw(), budget.draw(), budget.draw()], [1, 2, 3, undefined]);
    assert.deepEqual([budget.used, budget.left], [3, 0]);
  });

  test("a client's budget for an operation scales the retries one request may make", () => {
    const c = new RegistryClient({ registry: 'r', endpoint: 'https://r.example.com', http: async () => assert.fail('no request'), backoff: { attempts: 5, baseMs: 1, maxMs: 1 } });
    assert.equal(c.retryBudget().limit, 4);
    assert.equal(c.retryBudget(3).limit, 12);
  });
});
