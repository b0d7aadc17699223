/**
 * The scheme of a registry written without one: https; plain http only as a fallback (loopback host or
 * tlsVerify off), only when the TLS handshake is answered in plain HTTP, remembered per registry. Unit level, with
 * an injected transport; test/cli/scheme-cli.test.ts runs the same rule against real registries.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { FerryError, isFerryError } from '../../src/errors.js';
import { connectRegistry } from '../../src/registry/connect.js';
import { createDispatcher, transportError, undiciHttp, type HttpFn, type HttpRequest } from '../../src/registry/transport/http.js';
import { isPlainHttpAnswer, probeScheme, SchemeMemory } from '../../src/registry/transport/scheme.js';
import { withTlsAdvice } from '../../src/registry/transport/tls-errors.js';

type Server = 'tls' | 'plain' | 'self-signed' | 'down';

/** A transport standing in for servers by host: what each does with https:// and http:// requests. */
function fakeNet(servers: Record<string, Server>): { http: HttpFn; requests: string[] } {
  const requests: string[] = [];
  const fail = (req: HttpRequest, code: string, message: string): never => {
    throw transportError(Object.assign(new Error(message), { code }), { method: req.method, url: req.url });
  };
  const ok = (req: HttpRequest, status: number) => ({ status, headers: {}, body: Readable.from([]), url: req.url });
  const http: HttpFn = async (req) => {
    requests.push(`${req.method} ${req.url}`);
    const u = new URL(req.url);
    const kind = servers[u.host] ?? 'down';
    if (kind === 'down') return fail(req, 'ECONNREFUSED', `connect ECONNREFUSED ${u.host}`);
    if (u.protocol === 'https:') {
      if (kind === 'plain') return fail(req, 'ERR_SSL_WRONG_VERSION_NUMBER', 'error:0A00010B:SSL routines:ssl3_get_record:wrong version number');
      if (kind === 'self-signed') return fail(req, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate');
      return ok(req, 401);
    }
    // a TLS server answers a plain request with 400 ("Client sent an HTTP request to an HTTPS server")
    return ok(req, kind === 'plain' ? 200 : 400);
  };
  return { http, requests };
}

async function connect(registry: string, net: { http: HttpFn }, schemes: SchemeMemory, o: Parameters<typeof connectRegistry>[1] = {}) {
  const c = await connectRegistry(registry, o, { wrapHttp: () => net.http, schemes, backoff: { attempts: 1, baseMs: 1, maxMs: 1 } });
  await c.close();
  return c;
}

describe('the scheme of a registry', () => {
  test('a loopback registry that answers TLS in plain HTTP is used over http; the choice is remembered per registry', async () => {
    const net = fakeNet({ '127.0.0.1:5000': 'plain', '127.0.0.1:5001': 'tls' });
    const schemes = new SchemeMemory();
    assert.equal((await connect('127.0.0.1:5000', net, schemes)).endpoint, 'http://127.0.0.1:5000');
    assert.deepEqual(net.requests, ['GET https://127.0.0.1:5000/v2/', 'GET http://127.0.0.1:5000/v2/']);
    net.requests.length = 0;
    assert.equal((await connect('127.0.0.1:5000', net, schemes)).endpoint, 'http://127.0.0.1:5000');
    assert.deepEqual(net.requests, [], 'the second connection does not probe');
    assert.equal(await schemes.get('127.0.0.1:5000'), 'http');
    // another registry on the same host is another registry
    assert.equal((await connect('127.0.0.1:5001', net, schemes)).endpoint, 'https://127.0.0.1:5001');
    assert.deepEqual(net.requests, ['GET https://127.0.0.1:5001/v2/']);
    assert.equal(await schemes.get('127.0.0.1:5001'), 'https');
  });

  test('connections made at the same time share one probe', async () => {
    const net = fakeNet({ 'localhost:5000': 'plain' });
    const schemes = new SchemeMemory();
    const all = await Promise.all([1, 2, 3].map(() => connect('localhost:5000', net, schemes)));
    assert.deepEqual(all.map((c) => c.endpoint), Array(3).fill('http://localhost:5000'));
    assert.deepEqual(net.requests, ['GET https://localhost:5000/v2/', 'GET http://localhost:5000/v2/']);
  });

  test('a certificate that cannot be verified is never a reason to fall back: a clear TLS error, no http request', async () => {
    const net = fakeNet({ '127.0.0.1:5443': 'self-signed' });
    const schemes = new SchemeMemory();
    const c = await connectRegistry('127.0.0.1:5443', {}, { wrapHttp: () => net.http, schemes });
    try {
      assert.equal(c.endpoint, 'https://127.0.0.1:5443');
      await assert.rejects(c.send({ method: 'GET', path: '/v2/team/app/tags/list', scopes: [], expect: [200] }), (e: unknown) => {
        assert.ok(isFerryError(e, 'TLS_ERROR'), String(e));
        assert.match(e.message, /^registry 127\.0\.0\.1:5443: the TLS certificate of 127\.0\.0\.1:5443 cannot be verified \(self-signed certificate\)/);
        assert.match(e.message, /does not fall back to plain HTTP/);
        assert.match(e.message, /skip-tls-verify: true/);
        assert.match(e.message, /certs directory \(<certs-dir>\/127\.0\.0\.1:5443\/ca\.crt\)/);
        return true;
      });
    } finally {
      await c.close();
    }
    assert.ok(net.requests.length > 0 && net.requests.every((r) => r.includes('https://')), net.requests.join('\n'));
    assert.equal(await schemes.get('127.0.0.1:5443'), 'https', 'it speaks TLS');
  });

  test('the caller words the advice (config keys, command-line flags)', async () => {
    const net = fakeNet({ 'registry.example.com': 'self-signed' });
    const c = await connectRegistry(
      'registry.example.com',
      { tlsAdvice: { certificate: 'pass --dest-tls-verify=false', plainHttp: 'n/a' } },
      { wrapHttp: () => net.http, schemes: new SchemeMemory(), backoff: { attempts: 1, baseMs: 1, maxMs: 1 } },
    );
    await assert.rejects(c.send({ method: 'GET', path: '/v2/', scopes: [], expect: [200] }), /cannot be verified \(self-signed certificate\)\. ferry does not fall back to plain HTTP for this: pass --dest-tls-verify=false$/);
    await c.close();
  });

  test('no fallback for a remote registry with verification on: https without a probe, and plain HTTP is a TLS error', async () => {
    const net = fakeNet({ 'registry.example.com': 'plain' });
    const c = await connectRegistry('registry.example.com', {}, { wrapHttp: () => net.http, schemes: new SchemeMemory(), backoff: { attempts: 3, baseMs: 1, maxMs: 1 } });
    assert.equal(c.endpoint, 'https://registry.example.com');
    assert.deepEqual(net.requests, [], 'no probe');
    await assert.rejects(c.send({ method: 'GET', path: '/v2/', scopes: [], expect: [200] }), (e: unknown) => {
      assert.ok(isFerryError(e, 'TLS_ERROR'), String(e));
      assert.match(e.message, /^registry registry\.example\.com: registry\.example\.com answered the TLS handshake in plain HTTP \(ERR_SSL_WRONG_VERSION_NUMBER\)/);
      assert.match(e.message, /set skip-tls-verify: true for it \(an insecure registry\) or give its endpoint as http:\/\/registry\.example\.com/);
      return true;
    });
    assert.equal(net.requests.length, 1, 'not retried: retrying does not change the scheme');
    await c.close();
  });

  test('an insecure (tlsVerify: false) remote registry may fall back; an explicit endpoint is used as written', async () => {
    const net = fakeNet({ 'insecure.example.com': 'plain', 'mirror.example.com': 'plain' });
    const schemes = new SchemeMemory();
    assert.equal((await connect('insecure.example.com', net, schemes, { tlsVerify: false })).endpoint, 'http://insecure.example.com');
    net.requests.length = 0;
    assert.equal((await connect('docker.io', net, schemes, { tlsVerify: false, endpoint: 'https://mirror.example.com' })).endpoint, 'https://mirror.example.com');
    assert.equal((await connect('127.0.0.1:5000', net, schemes, { endpoint: 'https://127.0.0.1:5000' })).endpoint, 'https://127.0.0.1:5000');
    assert.deepEqual(net.requests, [], 'explicit endpoints are not probed');
    // httpFallback: true asks for the probe on an explicit https endpoint too (the config's default https://host)
    assert.equal((await connect('mirror.example.com', net, schemes, { endpoint: 'https://mirror.example.com', httpFallback: true })).endpoint, 'http://mirror.example.com');
  });

  test('a probe that decides nothing (refused) is not remembered: the next connection asks again', async () => {
    const servers: Record<string, Server> = { '127.0.0.1:5000': 'down' };
    const net = fakeNet(servers);
    const schemes = new SchemeMemory();
    assert.equal((await connect('127.0.0.1:5000', net, schemes)).endpoint, 'https://127.0.0.1:5000');
    assert.equal(await schemes.get('127.0.0.1:5000'), undefined);
    servers['127.0.0.1:5000'] = 'plain';
    assert.equal((await connect('127.0.0.1:5000', net, schemes)).endpoint, 'http://127.0.0.1:5000');
  });

  test('a plain-HTTP answer is not trusted until http:// answers too', async () => {
    const calls: string[] = [];
    const http: HttpFn = async (req) => {
      calls.push(req.url);
      throw transportError(Object.assign(new Error(req.url.startsWith('https') ? 'wrong version number' : 'socket hang up'), { code: req.url.startsWith('https') ? 'ERR_SSL_WRONG_VERSION_NUMBER' : 'ECONNRESET' }), {});
    };
    assert.equal(await probeScheme('127.0.0.1:5000', http), undefined);
    assert.deepEqual(calls, ['https://127.0.0.1:5000/v2/', 'http://127.0.0.1:5000/v2/']);
  });

  test('isPlainHttpAnswer: OpenSSL record errors only, wherever they sit in the cause chain', () => {
    const e = (code: string, message = '') => Object.assign(new Error(message), { code });
    assert.ok(isPlainHttpAnswer(e('ERR_SSL_WRONG_VERSION_NUMBER')));
    assert.ok(isPlainHttpAnswer(e('ERR_SSL_PACKET_LENGTH_TOO_LONG')));
    assert.ok(isPlainHttpAnswer(e('EPROTO', 'write EPROTO …:SSL routines:ssl3_get_record:wrong version number')));
    assert.ok(isPlainHttpAnswer(new FerryError('NETWORK_ERROR', 'x', {}, { cause: e('ERR_SSL_WRONG_VERSION_NUMBER') })));
    assert.ok(!isPlainHttpAnswer(e('ECONNREFUSED')));
    assert.ok(!isPlainHttpAnswer(e('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established')));
    assert.ok(!isPlainHttpAnswer(e('EPROTO', 'unsupported protocol')));
    assert.ok(!isPlainHttpAnswer(e('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')));
  });

  test("this Node's OpenSSL: https:// to a plain HTTP server is recognised as a plain-HTTP answer", async () => {
    const server = createServer((_q, r) => r.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dispatcher = createDispatcher();
    try {
      assert.equal(await probeScheme(host, undiciHttp(dispatcher)), 'http');
    } finally {
      await dispatcher.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('TLS advice', () => {
  const tlsFailure = (code: string, message: string): HttpFn => async (req) => {
    throw transportError(Object.assign(new Error(message), { code }), { method: req.method, url: req.url });
  };
  const advice = { certificate: 'set skip-tls-verify', plainHttp: 'use http' };

  test('a redirect hop that fails TLS is named, not the registry', async () => {
    const http = withTlsAdvice(tlsFailure('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'reg.example.com', 'reg.example.com', advice);
    await assert.rejects(http({ method: 'GET', url: 'https://cdn.example.net/blobs/x?sig=1', headers: {} }), (e: unknown) => {
      assert.ok(isFerryError(e, 'TLS_ERROR'), String(e));
      assert.match(e.message, /the TLS certificate of cdn\.example\.net \(where registry reg\.example\.com redirected the request\) cannot be verified/);
      return true;
    });
    await assert.rejects(http({ method: 'GET', url: 'https://reg.example.com/v2/', headers: {} }), /the TLS certificate of reg\.example\.com cannot be verified/);
  });

  test('a server asking for a client certificate is told apart from an unverifiable certificate', async () => {
    const http = withTlsAdvice(tlsFailure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'), 'reg.example.com', 'reg.example.com', advice);
    await assert.rejects(http({ method: 'GET', url: 'https://reg.example.com/v2/', headers: {} }), (e: unknown) => {
      assert.ok(isFerryError(e, 'TLS_ERROR'), String(e));
      assert.match(e.message, /requires a client certificate .*client\.cert and client\.key/);
      assert.doesNotMatch(e.message, /cannot be verified/);
      return true;
    });
  });
});
