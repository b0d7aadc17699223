/**
 * Hostile and broken registries (a proxy in front of a real one rewrites its answers): each case ends in a
 * clear error naming registry, repository and reference, and nothing is written to the target for that image.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { isFerryError, type ErrorCode } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { listCatalog, listTags, tagPages } from '../../src/registry/listing.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { staticCredentials } from '../../src/registry/auth/credentials.js';
import { flipByteAt } from '../harness/faults.js';
import { makeImage, MT, pushImage, sha256 } from '../harness/images.js';
import type { ProxyOptions, RequestDecision } from '../harness/proxy.js';
import type { RegistryHandle } from '../harness/registry.js';
import { checkTarget, ferry, onCleanup, proxy, registry } from './helpers.js';

const isManifestGet = (req: IncomingMessage): boolean => req.method === 'GET' && /\/manifests\//.test(req.url ?? '');
const reply = (status: number, headers: Record<string, string>, body: Buffer | string = ''): RequestDecision => ({
  respond: (res: ServerResponse) => {
    res.writeHead(status, headers);
    res.end(body);
  },
});

async function hostile(hooks: Omit<ProxyOptions, 'upstream'>, regOpts: Parameters<typeof registry>[0] = {}) {
  const srcReg = await registry(regOpts);
  const dstReg = await registry();
  const img = makeImage({ kind: 'oci', layers: [50_000], seed: 'hostile' });
  await pushImage(srcReg, 'evil/app', 'v1', img);
  const p = await proxy({ upstream: { url: srcReg.url, dispatcher: srcReg.dispatcher }, ...hooks });
  const creds = srcReg.username ? { credentials: staticCredentials({ username: srcReg.username, password: srcReg.password ?? '' }) } : {};
  const src = await ferry(srcReg, { via: p.url, ...creds });
  const dst = await ferry(dstReg);
  const copy = () => copyImage(src, parseReference(`${srcReg.host}/evil/app:v1`), dst, parseReference(`${dstReg.host}/evil/app:v1`), { blobAttempts: 2 });
  return { srcReg, dstReg, img, p, src, dst, copy };
}

async function expectRefused(s: Awaited<ReturnType<typeof hostile>>, code: ErrorCode, reference = 'v1|sha256:'): Promise<void> {
  await assert.rejects(s.copy(), (e: unknown) => {
    assert.ok(isFerryError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(s.srcReg.host), `names the registry: ${e.message}`);
    assert.match(e.message, /evil\/app/, e.message);
    assert.match(e.message, new RegExp(reference), e.message);
    return true;
  });
  await assertNothingWritten(s.dstReg, s.img.digest, s.img.blobs.map((b) => b.digest));
}

async function assertNothingWritten(dstReg: RegistryHandle, digest: string, blobs: string[]): Promise<void> {
  assert.equal((await checkTarget(dstReg, 'evil/app', 'v1')).state, 'absent', 'no tag');
  assert.equal((await checkTarget(dstReg, 'evil/app', digest)).state, 'absent', 'no manifest');
  const layer = blobs[1];
  if (layer) {
    const res = await fetch(`${dstReg.url}/v2/evil/app/blobs/${layer}`, { method: 'HEAD' });
    assert.notEqual(res.status, 200, 'the bad layer did not land');
  }
}

describe('hostile registries', () => {
  test('a manifest over 4 MiB is refused', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const s = await hostile({ onRequest: (req) => (isManifestGet(req) ? reply(200, { 'content-type': MT.ociManifest, 'content-length': String(big.length) }, big) : 'pass') });
    await expectRefused(s, 'MANIFEST_TOO_LARGE');
  });

  test('manifest bytes not matching the digest asked for', async () => {
    const s = await hostile({ transformResponse: (req, up) => (isManifestGet(req) ? { ...up, body: up.body.pipe(flipByteAt(40)) } : undefined) });
    await expectRefused(s, 'DIGEST_MISMATCH');
  });

  test('manifest bytes not matching the announced digest (GET by tag)', async () => {
    // The HEAD gives no digest, so ferry GETs by tag and checks the bytes against Docker-Content-Digest.
    const s = await hostile({
      transformResponse: (req, up) => {
        if (!/\/manifests\//.test(req.url ?? '')) return undefined;
        const headers = { ...up.headers };
        if (req.method === 'HEAD') delete headers['docker-content-digest'];
        return { ...up, headers, body: req.method === 'GET' ? up.body.pipe(flipByteAt(40)) : up.body };
      },
    });
    await expectRefused(s, 'DIGEST_MISMATCH', 'reference v1');
  });

  test('blob bytes not matching the descriptor', async () => {
    const s = await hostile({ transformResponse: (req, up) => (req.method === 'GET' && /\/blobs\/sha256/.test(req.url ?? '') ? { ...up, body: up.body.pipe(flipByteAt(100)) } : undefined) });
    await expectRefused(s, 'DIGEST_MISMATCH', 'digest sha256:|sha256:');
  });

  test('blob size not matching the descriptor', async () => {
    const s = await hostile({
      onRequest: (req) => (req.method === 'GET' && /\/blobs\/sha256/.test(req.url ?? '') ? reply(200, { 'content-type': 'application/octet-stream', 'content-length': '10' }, Buffer.alloc(10)) : 'pass'),
    });
    await expectRefused(s, 'SIZE_MISMATCH', 'sha256:');
  });

  test('mediaType disagreeing with Content-Type', async () => {
    const s = await hostile({ transformResponse: (req, up) => (isManifestGet(req) ? { ...up, headers: { ...up.headers, 'content-type': MT.dockerManifest } } : undefined) });
    await expectRefused(s, 'MEDIA_TYPE_MISMATCH');
  });

  test('invalid JSON', async () => {
    const bad = Buffer.from('{"schemaVersion": 2, "mediaType": ');
    const d = sha256(bad);
    const s = await hostile({
      onRequest: (req) =>
        /\/manifests\//.test(req.url ?? '') ? reply(200, { 'content-type': MT.ociManifest, 'docker-content-digest': d, 'content-length': String(bad.length) }, req.method === 'HEAD' ? '' : bad) : 'pass',
    });
    await expectRefused(s, 'MANIFEST_INVALID');
  });

  test('a redirect loop', async () => {
    const s = await hostile({
      onRequest: (req) => (req.method === 'GET' && /\/blobs\/sha256/.test(req.url ?? '') ? reply(302, { location: req.url ?? '/' }) : 'pass'),
    });
    await expectRefused(s, 'REDIRECT_INVALID', 'redirect loop');
  });

  test('a redirect to another host never receives the credentials', async () => {
    const seen: (string | undefined)[] = [];
    const other = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => other.listen(0, 'localhost', r));
    onCleanup(() => new Promise((r) => other.close(() => r())));
    const otherUrl = `http://localhost:${(other.address() as AddressInfo).port}`;
    const s = await hostile(
      { onRequest: (req) => (req.method === 'GET' && /\/blobs\/sha256/.test(req.url ?? '') ? reply(307, { location: `${otherUrl}${req.url}` }) : 'pass') },
      { auth: 'htpasswd' },
    );
    await assert.rejects(s.copy(), (e: unknown) => isFerryError(e, 'NOT_FOUND') && e.message.includes(s.srcReg.host) && e.message.includes('evil/app'));
    assert.ok(seen.length > 0, 'the other host was asked');
    assert.deepEqual(seen.filter(Boolean), [], 'no Authorization header crossed origins');
    assert.ok(s.p.records.some((r) => r.headers.authorization), 'the registry itself did get credentials');
    await assertNothingWritten(s.dstReg, s.img.digest, s.img.blobs.map((b) => b.digest));
  });
});

describe('hostile listings', () => {
  test('tag pagination that loops forever', async () => {
    const s = await hostile({
      onRequest: (req) =>
        /\/tags\/list/.test(req.url ?? '')
          ? reply(200, { 'content-type': 'application/json', link: '</v2/evil/app/tags/list?n=1&last=a>; rel="next"' }, JSON.stringify({ name: 'evil/app', tags: ['a'] }))
          : 'pass',
    });
    await assert.rejects(listTags(s.src, 'evil/app'), (e: unknown) => isFerryError(e, 'PAGINATION_LOOP') && e.context.repository === 'evil/app' && e.message.includes(s.srcReg.host));
  });

  test('catalog pagination that loops forever', async () => {
    let n = 0;
    const s = await hostile({
      onRequest: (req) =>
        /_catalog/.test(req.url ?? '')
          ? reply(200, { 'content-type': 'application/json', link: `</v2/_catalog?n=1&last=x${n++}>; rel="next"` }, JSON.stringify({ repositories: ['evil/app'] }))
          : 'pass',
    });
    await assert.rejects(listCatalog(s.src), (e: unknown) => isFerryError(e, 'PAGINATION_LOOP') && e.message.includes(s.srcReg.host));
  });

  test('repository names breaking the grammar are skipped with a clear error each', async () => {
    const s = await hostile({
      onRequest: (req) =>
        /_catalog/.test(req.url ?? '')
          ? reply(200, { 'content-type': 'application/json' }, JSON.stringify({ repositories: ['evil/app', 'a/../b', 'Upper/Case', '/leading', 'ok/repo'] }))
          : 'pass',
    });
    const invalid: string[] = [];
    const repos = await listCatalog(s.src, { onInvalid: (e) => invalid.push(`${e.code} ${e.context.registry} ${e.context.repository}: ${e.message}`) });
    assert.deepEqual(repos, ['evil/app', 'ok/repo']);
    assert.equal(invalid.length, 3);
    for (const [i, why] of [/empty or "\.\."/, /lower case/, /must not start with "\/"/].entries()) {
      assert.match(invalid[i] ?? '', new RegExp(`^REFERENCE_INVALID ${s.srcReg.host.replace(/\./g, '\\.')} `));
      assert.match(invalid[i] ?? '', why);
    }
  });

  test('a repository with 100,000 tags is listed and filtered with bounded memory', async () => {
    // No real registry produces this on demand: an in-process fake serves pages generated on the fly.
    const TOTAL = 100_000;
    const tag = (i: number): string => `v${Math.floor(i / 1000)}.${i % 1000}.0-build-${'x'.repeat(40)}`;
    const server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/v2/') return void res.writeHead(200).end('{}');
      const n = Number(u.searchParams.get('n') ?? 1000);
      const start = Number(u.searchParams.get('last')?.replace(/^i/, '') ?? -1) + 1;
      const end = Math.min(TOTAL, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (end < TOTAL) headers.link = `</v2/big/repo/tags/list?n=${n}&last=i${end - 1}>; rel="next"`;
      res.writeHead(200, headers);
      Readable.from([JSON.stringify({ name: 'big/repo', tags: Array.from({ length: end - start }, (_, k) => tag(start + k)) })]).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fake = { host: url.slice(7), url, tls: false } as RegistryHandle;
    const c = await ferry(fake);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let seen = 0;
    const kept: string[] = [];
    for await (const page of tagPages(c, 'big/repo', 'pull', { pageSize: 1000 })) {
      seen += page.length;
      for (const t of page) if (/^v\d+\.0\.0-/.test(t)) kept.push(t);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    assert.equal(seen, TOTAL);
    assert.equal(kept.length, 100);
    const growthMb = (peak - before) / 2 ** 20;
    console.log(`# 100,000 tags: heap grew at most ${growthMb.toFixed(1)} MiB while listing`);
    assert.ok(growthMb < 64, `bounded memory (${growthMb.toFixed(1)} MiB)`);
  });
});
