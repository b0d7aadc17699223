/**
 * Retry policy and per-registry limits against a real registry behind a fault proxy: retryable statuses back
 * off with jitter, Retry-After (seconds or HTTP date) is honoured and absurd values fail at once, terminal
 * statuses and digest mismatches fail at once, downloads resume with Range, stalls time out, and concurrency
 * and request-rate limits hold. Sleeps go to a recording clock: nothing here waits for real time to pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isFerryError } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { getManifest, headManifest } from '../../src/registry/manifests.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { cutBody } from '../harness/faults.js';
import { makeImage, pushImage } from '../harness/images.js';
import type { RequestDecision } from '../harness/proxy.js';
import { checkTarget, ferry, proxy, recordingClock, registry } from './helpers.js';

const POLICY = { attempts: 5, baseMs: 100, maxMs: 1000 };


const answer = (status: number, headers: Record<string, string> = {}, body = ''): RequestDecision => ({
  respond: (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  },
});

async function fixture() {
  const reg = await registry();
  const img = makeImage({ kind: 'oci', layers: [200_000], seed: 'retries' });
  await pushImage(reg, 'app', 'v1', img);
  return { reg, img };
}

describe('retries', () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    test(`HTTP ${status} is retried with exponential backoff and jitter`, async () => {
      const { reg, img } = await fixture();
      let left = 2;
      const p = await proxy({ upstream: { url: reg.url }, onRequest: (req) => (/manifests/.test(req.url ?? '') && left-- > 0 ? answer(status) : 'pass') });
      const clock = recordingClock();
      const c = await ferry(reg, { via: p.url }, { clock, backoff: POLICY, random: () => 0.5 });
      const head = await headManifest(c, { repository: 'app', reference: 'v1' }, 'pull');
      assert.equal(head?.digest, img.digest);
      assert.equal(p.count({ pathRegex: /manifests/ }), 3);
      assert.deepEqual(clock.sleeps, [50, 100], 'half of 100 ms, then half of 200 ms (full jitter with random = 0.5)');
    });
  }

  test('Retry-After in seconds and as an HTTP date is honoured', async () => {
    const { reg } = await fixture();
    const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
    const values = ['2', new Date(t0 + 3000).toUTCString()];
    const p = await proxy({ upstream: { url: reg.url }, onRequest: (req) => (/manifests/.test(req.url ?? '') && values.length ? answer(503, { 'retry-after': values.shift() as string }) : 'pass') });
    const clock = recordingClock(() => t0);
    const c = await ferry(reg, { via: p.url }, { clock, backoff: POLICY });
    await headManifest(c, { repository: 'app', reference: 'v1' }, 'pull');
    assert.deepEqual(clock.sleeps, [2000, 3000]);
  });

  test('an absurd Retry-After (an hour) fails at once and clearly instead of sleeping', async () => {
    const { reg } = await fixture();
    const p = await proxy({ upstream: { url: reg.url }, onRequest: (req) => (/manifests/.test(req.url ?? '') ? answer(429, { 'retry-after': '3600' }) : 'pass') });
    const clock = recordingClock();
    const c = await ferry(reg, { via: p.url }, { clock, backoff: POLICY });
    await assert.rejects(getManifest(c, { repository: 'app', reference: 'v1' }), (e: unknown) => {
      assert.ok(isFerryError(e, 'RATE_LIMITED'));
      assert.equal(e.context.retryAfterMs, 3_600_000);
      assert.match(e.message, /registry 127\.0\.0\.1:\d+, repository app, reference v1: HTTP 429/);
      assert.match(e.message, /retry after 3600 s, more than the 900 s ferry waits/);
      return true;
    });
    assert.equal(p.count({ pathRegex: /manifests/ }), 1);
    assert.deepEqual(clock.sleeps, []);
  });

  for (const [status, code] of [
    [401, 'UNAUTHORIZED'],
    [403, 'DENIED'],
    [404, 'NOT_FOUND'],
  ] as const) {
    test(`HTTP ${status} fails at once (${code})`, async () => {
      const { reg } = await fixture();
      const p = await proxy({ upstream: { url: reg.url }, onRequest: (req) => (/manifests/.test(req.url ?? '') ? answer(status, { 'content-type': 'application/json' }, '{"errors":[{"code":"X"}]}') : 'pass') });
      const clock = recordingClock();
      const c = await ferry(reg, { via: p.url }, { clock, backoff: POLICY });
      await assert.rejects(getManifest(c, { repository: 'app', reference: 'v1' }), (e: unknown) => isFerryError(e, code) && /repository app, reference v1/.test(e.message));
      assert.equal(p.count({ pathRegex: /manifests/ }), 1);
      assert.deepEqual(clock.sleeps, []);
    });
  }

  test('a digest mismatch fails at once', async () => {
    const { reg } = await fixture();
    const p = await proxy({ upstream: { url: reg.url } });
    const clock = recordingClock();
    const c = await ferry(reg, { via: p.url }, { clock, backoff: POLICY });
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(getManifest(c, { repository: 'app', reference: 'v1' }, { expectDigest: wrong }), (e: unknown) => isFerryError(e, 'DIGEST_MISMATCH'));
    assert.equal(p.count({ pathRegex: /manifests/ }), 1);
  });
});

describe('resume, stalls and limits', () => {
  test('a blob body cut halfway resumes with a Range request', async () => {
    const { reg, img } = await fixture();
    const dstReg = await registry();
    let cut = false;
    const layer = img.blobs[1]!;
    const p = await proxy({
      upstream: { url: reg.url },
      transformResponse: (req, up) => {
        if (cut || req.method !== 'GET' || !req.url?.endsWith(layer.digest)) return undefined;
        cut = true;
        return { ...up, body: cutBody(up.body, Math.floor(layer.size / 2), false) };
      },
    });
    const src = await ferry(reg, { via: p.url }, { clock: recordingClock() });
    const dst = await ferry(dstReg);
    await copyImage(src, parseReference(`${reg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`));
    const gets = p.filter({ method: 'GET', pathRegex: new RegExp(layer.digest) });
    assert.equal(gets.length, 2);
    const range = String(gets[1]?.headers.range);
    assert.match(range, /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(range)?.[0]) > 0, 'resumes after the bytes received');
    assert.equal(gets[1]?.status, 206);
    assert.equal((await checkTarget(dstReg, 'app', 'v1')).digest, img.digest);
  });

  test('a stalled body times out (short body timeout) and the request is retried, then fails bounded', async () => {
    const { reg } = await fixture();
    const stall = (req: IncomingMessage) => req.method === 'GET' && /\/manifests\//.test(req.url ?? '');
    const p = await proxy({ upstream: { url: reg.url }, transformResponse: (req, up) => (stall(req) ? { ...up, body: cutBody(up.body, 10, true) } : undefined) });
    const clock = recordingClock();
    const c = await ferry(reg, { via: p.url, bodyTimeoutMs: 200 }, { clock, backoff: { attempts: 3, baseMs: 100, maxMs: 1000 }, random: () => 0.5 });
    await assert.rejects(getManifest(c, { repository: 'app', reference: 'v1' }), (e: unknown) => isFerryError(e, 'TIMEOUT'));
    assert.equal(p.count({ method: 'GET', pathRegex: /manifests/ }), 3, 'each attempt timed out');
    assert.deepEqual(clock.sleeps, [50, 100], 'two backoffs between three attempts, then it gives up');
  });

  test('concurrent requests per registry are capped (maxConcurrency)', async () => {
    const { reg } = await fixture();
    let inFlight = 0;
    let max = 0;
    // Requests are held until two are in flight (so the cap is reached however slowly they arrive), then each
    // still for a moment (so a third, if the cap let one through, would be seen in flight too).
    let opened: () => void = () => undefined;
    const twoInFlight = new Promise<void>((resolve) => (opened = resolve));
    const p = await proxy({
      upstream: { url: reg.url },
      onRequest: async (): Promise<RequestDecision> => {
        inFlight++;
        max = Math.max(max, inFlight);
        if (inFlight >= 2) opened();
        await twoInFlight;
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return 'pass';
      },
    });
    const c = await ferry(reg, { via: p.url, maxConcurrency: 2 });
    await Promise.all(Array.from({ length: 12 }, () => headManifest(c, { repository: 'app', reference: 'v1' }, 'pull')));
    assert.equal(max, 2);
  });

  test('requests per second are capped (requestsPerSecond)', async () => {
    const { reg } = await fixture();
    const clock = recordingClock(() => 1_000_000);
    const c = await ferry(reg, { requestsPerSecond: 5 }, { clock });
    for (let i = 0; i < 8; i++) await headManifest(c, { repository: 'app', reference: 'v1' }, 'pull');
    assert.deepEqual(clock.sleeps, [200, 400, 600], 'a burst of 5, then one request per 200 ms');
  });
});
