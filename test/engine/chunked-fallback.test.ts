/**
 * A registry that refuses whole-body uploads (GHCR answers 416 to a PATCH body over 4 MiB and some proxies
 * 413 to a large PUT): ferry falls back to fixed-size chunks with Content-Range, honouring
 * OCI-Chunk-Min-Length, continuing at the newest Location — against a real registry behind a proxy.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { parseReference } from '../../src/ref/reference.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { makeImage, pushImage } from '../harness/images.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../harness/skopeo.js';
import { blobStatus, client, proxy, registry } from './helpers.js';

const LIMIT = 4 * 1024 * 1024;

function refuse(status: number, code: string, res: ServerResponse, req: IncomingMessage): void {
  req.resume();
  req.on('end', () => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code, message: 'the request body is too large and exceeds the maximum permissible limit of 4.00MiB' }] }));
  });
}

describe('chunked upload fallback', () => {
  test('413 on a large monolithic PUT and 416 on an unranged PATCH lead to 4 MiB chunks, and the copy completes', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const m = makeImage({ kind: 'oci', layers: [10 * 1024 * 1024 + 123, 2000], seed: 'chunky' });
    await pushImage(srcReg, 'big', 'v1', m);
    const ranges: string[] = [];
    const p = await proxy({
      upstream: { url: dstReg.url },
      onRequest: (req) => {
        const len = Number(req.headers['content-length'] ?? 0);
        if (req.method === 'POST' && /\/blobs\/uploads\/$/.test(req.url ?? '')) return 'pass';
        if (req.method === 'PATCH' && !req.headers['content-range']) return { respond: (res) => refuse(416, 'REQUESTED_RANGE_NOT_SATISFIABLE', res, req) };
        if (req.method === 'PATCH' && len > LIMIT) return { respond: (res) => refuse(416, 'REQUESTED_RANGE_NOT_SATISFIABLE', res, req) };
        if (req.method === 'PATCH') ranges.push(String(req.headers['content-range']));
        if (req.method === 'PUT' && /\/blobs\/uploads\//.test(req.url ?? '') && len > LIMIT) return { respond: (res) => refuse(413, 'SIZE_INVALID', res, req) };
        return 'pass';
      },
    });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: p.url });
    const r = await copyImage(src, parseReference(`${srcReg.host}/big:v1`), dst, parseReference(`${dstReg.host}/big:v1`), { blobConcurrency: 1 });
    assert.equal(r.targetDigest, m.digest);
    const size = m.blobs[1]!.size;
    // three chunks of at most 4 MiB, in order; then the next blob goes chunked at once (remembered per registry)
    assert.deepEqual(ranges, [`0-${LIMIT - 1}`, `${LIMIT}-${2 * LIMIT - 1}`, `${2 * LIMIT}-${size - 1}`, `0-${m.blobs[2]!.size - 1}`]);
    assert.equal(p.count({ method: 'PUT', pathRegex: /\/blobs\/uploads\//, status: 413 }), 1, 'one refused monolithic PUT, then chunks');
    for (const b of m.blobs) assert.equal(await blobStatus(dstReg, 'big', b.digest), 200);
    assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/big:v1`, await skopeoEndpointFor(dstReg)), m.manifestBytes);
  });
});
