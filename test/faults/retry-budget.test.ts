/**
 * One retry budget per logical operation: the layers that retry on an operation's behalf (the exchange, the body,
 * the resumable download, the whole transfer) draw from one budget, so their attempts add up instead of
 * multiplying. Against a real registry behind a fault proxy; sleeps go to a recording clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { isFerryError } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { getManifest } from '../../src/registry/manifests.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { cutBody } from '../harness/faults.js';
import { makeImage, pushImage } from '../harness/images.js';
import type { RequestDecision } from '../harness/proxy.js';
import { checkTarget, ferry, proxy, recordingClock, registry } from './helpers.js';

const busy: RequestDecision = {
  respond: (res: ServerResponse) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('busy');
  },
};

async function fixture() {
  const reg = await registry();
  const img = makeImage({ kind: 'oci', layers: [200_000], seed: 'retry-budget' });
  await pushImage(reg, 'app', 'v1', img);
  return { reg, img };
}

describe('one retry budget per operation', () => {
  test('a manifest GET failing by turns as a 503 and as a broken body makes backoff.attempts attempts in all', async () => {
    const { reg } = await fixture();
    const isGet = (method?: string, url?: string) => method === 'GET' && /\/manifests\//.test(url ?? '');
    let n = 0;
    // odd GETs are answered 503 by the proxy; even ones reach the registry and have their body cut short
    const p = await proxy({
      upstream: { url: reg.url },
      onRequest: (req) => (isGet(req.method, req.url) && n++ % 2 === 0 ? busy : 'pass'),
      transformResponse: (req, up) => (isGet(req.method, req.url) ? { ...up, body: cutBody(up.body, 10, false) } : undefined),
    });
    const clock = recordingClock();
    const c = await ferry(reg, { via: p.url }, { clock, backoff: { attempts: 5, baseMs: 100, maxMs: 1000 }, random: () => 0.5 });
    await assert.rejects(getManifest(c, { repository: 'app', reference: 'v1' }), (e: unknown) => isFerryError(e) && e.retryable);
    // each layer counting its own five attempts made up to 25; the send and the body read share one budget of 5
    assert.equal(p.count({ method: 'GET', pathRegex: /manifests/ }), 5);
    assert.deepEqual(clock.sleeps, [50, 100, 200, 400], 'one backoff per retry of the operation, growing across layers');
  });

  test('a blob copy whose downloads keep breaking off stops after its one budget of resumes and re-transfers', async () => {
    const { reg, img } = await fixture();
    const dstReg = await registry();
    const layer = img.blobs[1]!;
    const p = await proxy({
      upstream: { url: reg.url },
      // every GET of the layer breaks off after 1000 bytes: each resume makes progress, never enough to finish
      transformResponse: (req, up) => (req.method === 'GET' && req.url?.endsWith(layer.digest) ? { ...up, body: cutBody(up.body, 1000, false) } : undefined),
    });
    const backoff = { attempts: 3, baseMs: 10, maxMs: 100 };
    const src = await ferry(reg, { via: p.url }, { clock: recordingClock(), backoff });
    const dst = await ferry(dstReg, {}, { clock: recordingClock(), backoff });
    const events: string[] = [];
    await assert.rejects(
      copyImage(src, parseReference(`${reg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`), {
        blobAttempts: 2,
        events: (e) => void (e.type === 'blob-retry' && events.push(e.type)),
      }),
      (e: unknown) => isFerryError(e, 'NETWORK_ERROR'),
    );
    // budget: (attempts - 1) × blobAttempts = 4 retries, all spent on resumes; nesting allowed 2 transfers × 6 opens
    assert.equal(p.filter({ method: 'GET', pathRegex: new RegExp(layer.digest) }).length, 5);
    assert.deepEqual(events, [], 'no re-transfer was left in the budget');
    assert.equal((await checkTarget(dstReg, 'app', 'v1')).state, 'absent', 'nothing tagged');
  });
});
