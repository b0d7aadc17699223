import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { VerifyStream } from '../../src/oci/verify-stream.js';
import { digestOf } from '../../src/ref/digest.js';
import { followRedirect } from '../../src/registry/transport/redirects.js';
import { TokenCache } from '../../src/registry/auth/token-cache.js';
import { chunks } from '../../src/registry/uploads.js';
import { FakeClock } from '../../src/clock.js';
import type { HttpResponse } from '../../src/registry/transport/http.js';

const ctx = { registry: 'src.example', repository: 'app' };

async function run(data: Buffer[], expected: { digest: string; size: number }): Promise<{ got: Buffer; error?: unknown }> {
  const out: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } });
  try {
    await pipeline(Readable.from(data), new VerifyStream(expected, ctx), sink);
    return { got: Buffer.concat(out) };
  } catch (error) {
    return { got: Buffer.concat(out), error };
  }
}

describe('VerifyStream', () => {
  const parts = [Buffer.from('hello '), Buffer.from('world'), Buffer.from('!')];
  const all = Buffer.concat(parts);
  test('passes correct content through unchanged', async () => {
    const r = await run(parts, { digest: digestOf(all), size: all.length });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.got, all);
  });
  test('wrong digest: fails, and the consumer never receives the last chunk', async () => {
    const r = await run(parts, { digest: digestOf(Buffer.from('other')), size: all.length });
    assert.ok(isFerryError(r.error, 'DIGEST_MISMATCH'));
    assert.match((r.error as Error).message, /from registry src\.example, repository app/);
    assert.ok(r.got.length < all.length, 'held back');
  });
  test('too many bytes fail at once; too few at the end', async () => {
    const big = await run(parts, { digest: digestOf(all), size: 5 });
    assert.ok(isFerryError(big.error, 'SIZE_MISMATCH') && /larger than the 5 bytes/.test((big.error as Error).message));
    const small = await run(parts, { digest: digestOf(all), size: all.length + 3 });
    assert.ok(isFerryError(small.error, 'SIZE_MISMATCH') && /ended after 12 of 15 bytes/.test((small.error as Error).message));
  });
});

describe('redirects', () => {
  const res = (location?: string, status = 307): HttpResponse => ({ status, headers: location ? { location } : {}, body: Readable.from([]), url: '' });
  const req = { method: 'GET' as const, url: 'https://reg.example/v2/app/blobs/sha256:x', headers: { authorization: 'Bearer secret', range: 'bytes=5-' } };
  test('another origin gets no Authorization; Range is kept', () => {
    const next = followRedirect(req, res('https://cdn.example/blob?sig=1'), 'https://reg.example', new Set([req.url]), ctx);
    assert.equal(next.headers.authorization, undefined);
    assert.equal(next.headers.range, 'bytes=5-');
  });
  test('the same origin keeps Authorization; relative locations resolve', () => {
    const next = followRedirect(req, res('/v2/other'), 'https://reg.example', new Set([req.url]), ctx);
    assert.equal(next.url, 'https://reg.example/v2/other');
    assert.equal(next.headers.authorization, 'Bearer secret');
  });
  test('loops, downgrades, missing Location, writes, and too many hops are refused', () => {
    const seen = new Set([req.url]);
    assert.throws(() => followRedirect(req, res(req.url), 'https://reg.example', seen, ctx), /redirect loop/);
    assert.throws(() => followRedirect(req, res('http://cdn.example/x'), 'https://reg.example', new Set(), ctx), /downgrade/);
    assert.throws(() => followRedirect(req, res(undefined), 'https://reg.example', new Set(), ctx), /without a Location/);
    assert.throws(() => followRedirect({ ...req, method: 'PUT' as never }, res('/x'), 'https://reg.example', new Set(), ctx), /does not follow redirects of PUT/);
    assert.throws(() => followRedirect(req, res('ftp://x/y'), 'https://reg.example', new Set(), ctx), /unsupported scheme/);
    const many = new Set(['1', '2', '3', '4', '5', '6'].map((n) => `https://h/${n}`));
    assert.throws(() => followRedirect(req, res('https://h/7'), 'https://reg.example', many, ctx), /more than 5 redirects/);
  });
});

describe('TokenCache', () => {
  test('60 s default lifetime, renewal 5 s before expiry, key independent of scope order', async () => {
    const clock = new FakeClock(1_000_000);
    const cache = new TokenCache(clock);
    const k = TokenCache.key('realm', 'svc', ['b', 'a']);
    assert.equal(k, TokenCache.key('realm', 'svc', ['a', 'b']));
    cache.set(k, 'tok', undefined, undefined);
    assert.equal(cache.get(k), 'tok');
    await clock.advance(54_000);
    assert.equal(cache.get(k), 'tok');
    await clock.advance(2_000);
    assert.equal(cache.get(k), undefined);
  });
  test('short expires_in is raised to 60 s; issued_at in the future falls back to now', async () => {
    const clock = new FakeClock(1_000_000);
    const cache = new TokenCache(clock);
    cache.set('k', 't', 10, new Date(2_000_000_000_000).toISOString());
    await clock.advance(50_000);
    assert.equal(cache.get('k'), 't');
  });
});

describe('chunks', () => {
  test('re-chunks into exact sizes', async () => {
    const out: number[] = [];
    for await (const c of chunks(Readable.from([Buffer.alloc(3), Buffer.alloc(10), Buffer.alloc(1)]), 4)) out.push(c.length);
    assert.deepEqual(out, [4, 4, 4, 2]);
  });
});
