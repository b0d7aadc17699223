/**
 * Slow bodies against real registries on loopback: a proxy drips one layer's download, or reads its upload
 * slowly, far below a small low-speed limit (1000 B/s over 1 s). The copy fails with TRANSFER_TOO_SLOW naming
 * registry, repository, digest and the measured rate, after exactly two attempts on that blob, and nothing is
 * tagged. Real time, but short: each attempt trips about a second after its first byte.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { connectRegistry } from '../../src/registry/connect.js';
import { isFerryError } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { getManifest } from '../../src/registry/manifests.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { SlowBlobs } from '../../src/sync/slow-blobs.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { dripBody, throttle } from '../harness/faults.js';
import { makeImage, pushImage } from '../harness/images.js';
import { checkTarget, ferry, proxy, registry } from './helpers.js';

const SLOW = { lowSpeedLimit: 1000, lowSpeedTimeMs: 1000 };

/** A proxy in front of `upstream` that drips GET bodies whose path holds `pathPart`: 30 bytes every 100 ms (300 B/s). */
function drippingProxy(upstream: string, pathPart: string) {
  return proxy({
    upstream: { url: upstream },
    transformResponse: (req, up) => (req.method === 'GET' && req.url?.includes(pathPart) ? { ...up, body: dripBody(up.body, 30, 100, req.socket) } : undefined),
  });
}

describe('slow bodies', () => {
  test('a blob download that trickles fails after one retry, naming registry, repository, digest and rate; nothing is tagged', async () => {
    const [srcReg, dstReg] = await Promise.all([registry(), registry()]);
    const img = makeImage({ kind: 'oci', layers: [40_000], seed: 'slow-down' });
    await pushImage(srcReg, 'app/slow', 'v1', img);
    const layer = img.blobs[1]!.digest;
    // 30 bytes every 100 ms: 300 B/s, well under the limit, yet never silent long enough for an idle timeout
    const p = await drippingProxy(srcReg.url, `/blobs/${layer}`);
    const src = await ferry(srcReg, { via: p.url, ...SLOW });
    const dst = await ferry(dstReg, SLOW);
    await assert.rejects(copyImage(src, parseReference(`${srcReg.host}/app/slow:v1`), dst, parseReference(`${dstReg.host}/mirror/slow:v1`)), (e: unknown) => {
      assert.ok(isFerryError(e, 'TRANSFER_TOO_SLOW'), String(e));
      assert.ok(e.message.includes(`blob ${layer} from registry ${srcReg.host}, repository app/slow`), e.message);
      assert.match(e.message, /arrived at (\d+) B\/s over 1s, below the low-speed limit of 1000 B\/s/);
      assert.match(e.message, /again on its retry/);
      const rate = Number(/arrived at (\d+) B\/s/.exec(e.message)?.[1]);
      assert.ok(rate > 0 && rate < 1000, `measured ${rate} B/s`);
      assert.equal(e.context.direction, 'download');
      assert.equal(e.context.registry, srcReg.host);
      assert.equal(e.context.digest, layer);
      return true;
    });
    assert.equal(p.count({ method: 'GET', pathRegex: new RegExp(`/blobs/${layer}`) }), 2, 'the first attempt and one retry, no more');
    assert.equal((await checkTarget(dstReg, 'mirror/slow', 'v1')).state, 'absent');
  });

  test('an upload the target reads slowly fails the same way, charged to the target, not the source', async () => {
    const [srcReg, dstReg] = await Promise.all([registry(), registry()]);
    // larger than what loopback socket buffers take in at once, so the upload really waits on the target
    const img = makeImage({ kind: 'oci', layers: [8_000_000], seed: 'slow-up' });
    await pushImage(srcReg, 'app/slow', 'v1', img);
    const layer = img.blobs[1]!.digest;
    const isLayerUpload = (method?: string, url?: string): boolean => (method === 'PUT' || method === 'PATCH') && !!url?.includes('/blobs/uploads/') && !!url.includes(encodeURIComponent(layer));
    const p = await proxy({
      upstream: { url: dstReg.url },
      transformRequestBody: (req) => (isLayerUpload(req.method, req.url) ? req.pipe(throttle(30, 100)) : undefined),
    });
    const src = await ferry(srcReg, SLOW);
    const dst = await ferry(dstReg, { via: p.url, ...SLOW });
    await assert.rejects(copyImage(src, parseReference(`${srcReg.host}/app/slow:v1`), dst, parseReference(`${dstReg.host}/mirror/slow:v1`)), (e: unknown) => {
      assert.ok(isFerryError(e, 'TRANSFER_TOO_SLOW'), String(e));
      assert.ok(e.message.includes(`blob ${layer} to registry ${dstReg.host}, repository mirror/slow was accepted at`), e.message);
      assert.match(e.message, /at \d+ B\/s over 1s, below the low-speed limit of 1000 B\/s/);
      assert.equal(e.context.direction, 'upload');
      assert.equal(e.context.registry, dstReg.host);
      return true;
    });
    assert.equal(p.filter({ method: 'PUT' }).filter((r) => isLayerUpload(r.method, r.path)).length, 2, 'the first attempt and one retry, no more');
    assert.equal((await checkTarget(dstReg, 'mirror/slow', 'v1')).state, 'absent');
  });

  test('a chunked upload the target reads slowly trips on the pieces it sends, not on whole chunks', async () => {
    const [srcReg, dstReg] = await Promise.all([registry(), registry()]);
    const img = makeImage({ kind: 'oci', layers: [6_000_000], seed: 'slow-chunks' });
    await pushImage(srcReg, 'app/slow', 'v1', img);
    const layer = img.blobs[1]!.digest;
    const big = (req: { method?: string; headers: Record<string, unknown> }): boolean => req.method === 'PATCH' && Number(req.headers['content-length'] ?? 0) > 100_000;
    const p = await proxy({ upstream: { url: dstReg.url }, transformRequestBody: (req) => (big(req) ? req.pipe(throttle(30, 100)) : undefined) });
    const src = await ferry(srcReg, SLOW);
    const dst = await ferry(dstReg, { via: p.url, ...SLOW });
    const copy = copyImage(src, parseReference(`${srcReg.host}/app/slow:v1`), dst, parseReference(`${dstReg.host}/mirror/slow:v1`), { uploadMode: 'chunked' });
    await assert.rejects(copy, (e: unknown) => {
      assert.ok(isFerryError(e, 'TRANSFER_TOO_SLOW'), String(e));
      assert.ok(e.message.includes(`blob ${layer} to registry ${dstReg.host}, repository mirror/slow was accepted at`), e.message);
      return true;
    });
    assert.equal(p.filter({ method: 'PATCH' }).filter((r) => Number(r.headers['content-length'] ?? 0) > 100_000).length, 2, 'one first chunk per attempt');
    assert.equal((await checkTarget(dstReg, 'mirror/slow', 'v1')).state, 'absent');
  });

  test('later images of the same run needing that blob fail at once, without a third attempt; the next run tries again', async () => {
    const [srcReg, dstReg] = await Promise.all([registry(), registry()]);
    const img = makeImage({ kind: 'oci', layers: [40_000], seed: 'slow-shared' });
    await pushImage(srcReg, 'app/slow', 'v1', img);
    await pushImage(srcReg, 'app/slow', 'v2', img);
    const layer = img.blobs[1]!.digest;
    const p = await drippingProxy(srcReg.url, `/blobs/${layer}`);
    const src = await ferry(srcReg, { via: p.url, ...SLOW });
    const dst = await ferry(dstReg, SLOW);
    // one BlobTransfers for the process (a daemon's), one SlowBlobs per run (the task runner's)
    const transfers = new BlobTransfers();
    const run1 = new SlowBlobs();
    const copy = (tag: string, repo: string, slowBlobs: SlowBlobs) =>
      copyImage(src, parseReference(`${srcReg.host}/app/slow:${tag}`), dst, parseReference(`${dstReg.host}/${repo}:${tag}`), { transfers, slowBlobs });
    const [a, b] = await Promise.allSettled([copy('v1', 'mirror/one', run1), copy('v2', 'mirror/two', run1)]);
    const c = await copy('v1', 'mirror/three', run1).then(() => undefined, (e: unknown) => e);
    for (const r of [a.status === 'rejected' ? a.reason : a, b.status === 'rejected' ? b.reason : b, c]) assert.ok(isFerryError(r, 'TRANSFER_TOO_SLOW'), String(r));
    const blobGets = () => p.count({ method: 'GET', pathRegex: new RegExp(`/blobs/${layer}`) });
    assert.equal(blobGets(), 2, 'one transfer, retried once, for all three images');
    for (const repo of ['mirror/one', 'mirror/two', 'mirror/three']) assert.equal((await checkTarget(dstReg, repo, repo.endsWith('two') ? 'v2' : 'v1')).state, 'absent');
    // The next run gives the server a fresh chance: the blob is tried again (and here is still slow).
    const next = await copy('v1', 'mirror/four', new SlowBlobs()).then(() => undefined, (e: unknown) => e);
    assert.ok(isFerryError(next, 'TRANSFER_TOO_SLOW'), String(next));
    assert.equal(blobGets(), 4, 'a new run transfers the blob again, retried once');
  });

  test('a manifest body that trickles fails the same way, after one retry', async () => {
    const reg = await registry();
    const img = makeImage({ kind: 'oci', layers: Array.from({ length: 12 }, () => 100), seed: 'slow-manifest' });
    await pushImage(reg, 'app/slow', 'v1', img);
    assert.ok(img.manifestBytes.byteLength > 1500, 'larger than the drip delivers in one span');
    const p = await proxy({
      upstream: { url: reg.url },
      transformResponse: (req, up) => (req.method === 'GET' && req.url?.includes('/manifests/') ? { ...up, body: dripBody(up.body, 30, 100, req.socket) } : undefined),
    });
    const c = await ferry(reg, { via: p.url, ...SLOW });
    await assert.rejects(getManifest(c, { repository: 'app/slow', reference: 'v1' }), (e: unknown) => {
      assert.ok(isFerryError(e, 'TRANSFER_TOO_SLOW'), String(e));
      assert.match(e.message, new RegExp(`from registry ${reg.host}, repository app/slow, reference v1 arrived at \\d+ B/s over 1s, below the low-speed limit of 1000 B/s`));
      return true;
    });
    assert.equal(p.count({ method: 'GET', pathRegex: /manifests/ }), 2);
  });

  test('a fast copy with the same small limit is not disturbed', async () => {
    const [srcReg, dstReg] = await Promise.all([registry(), registry()]);
    const img = makeImage({ kind: 'oci', layers: [2_000_000], seed: 'fast' });
    await pushImage(srcReg, 'app/fast', 'v1', img);
    const src = await ferry(srcReg, SLOW);
    const dst = await ferry(dstReg, SLOW);
    const r = await copyImage(src, parseReference(`${srcReg.host}/app/fast:v1`), dst, parseReference(`${dstReg.host}/mirror/fast:v1`));
    assert.equal(r.action, 'copied');
    assert.equal((await checkTarget(dstReg, 'mirror/fast', 'v1')).state, 'complete');
  });
});

test('a trickling error body is cut at the low-speed limit: the status speaks, the connection is not held', async () => {
  // odd behaviour no real registry produces on demand: a 404 whose body drips a byte every 100 ms for 4 s
  let chunksSent = 0;
  let closed!: (sentAtClose: number) => void;
  const sentAtClose = new Promise<number>((resolve) => (closed = resolve));
  const srv = createServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end();
    res.writeHead(404, { 'content-type': 'application/json' });
    const t = setInterval(() => {
      res.write(' ');
      if (++chunksSent >= 40) {
        clearInterval(t);
        res.end('{"errors":[]}');
      }
    }, 100);
    res.on('close', () => {
      clearInterval(t);
      closed(chunksSent);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  const port = (srv.address() as AddressInfo).port;
  const c = await connectRegistry(`127.0.0.1:${port}`, { endpoint: `http://127.0.0.1:${port}`, ...SLOW }, { backoff: { attempts: 1, baseMs: 1, maxMs: 1 } });
  after(() => c.close());
  await assert.rejects(getManifest(c, { repository: 'a/b', reference: 'latest' }), (e: unknown) => isFerryError(e, 'NOT_FOUND'));
  const sent = await sentAtClose;
  assert.ok(sent < 40, `the client closed the trickling body before its end (${sent} of 40 chunks sent)`);
});
