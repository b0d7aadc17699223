/**
 * A 10% fault rate on both sides (seeded, deterministic per request): resets, 5xx, 429 with and without
 * Retry-After, truncated, stalled and bit-flipped bodies. A seed-shaped set still ends digest-exact on the
 * target, no tag points at an incomplete image, and the retries stay bounded: every wait ferry asks for is
 * within its backoff policy or the Retry-After it was given, no request is repeated beyond its attempts, and a
 * fault costs a bounded number of requests. Waits go to a recording clock (nothing sleeps); how long the run
 * takes with real waits is measured by the benchmark (bench/run.ts, scenario "fault-timings").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReference } from '../../src/ref/reference.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { Semaphore } from '../../src/registry/transport/semaphore.js';
import { faultHooks, normalisePath, type FaultKind } from '../harness/faults.js';
import { checkTarget, FAST_BACKOFF, ferry, proxy, pushSeed, recordingClock, registry, seedShapedImages } from './helpers.js';

const TARGET_KINDS: FaultKind[] = ['reset', '500', '502', '503', '504', '429-retry-after', '429-hub'];


/** Retry-After the faults send: "1" (s) or an HTTP date ~1.5 s ahead (whole seconds, so up to 2 s). */
const MAX_RETRY_AFTER_MS = 2_000;
const BLOB_ATTEMPTS = 5;

test('10% faults over a seed-shaped set: every image digest-exact, no incomplete tag, bounded retries', async () => {
  const srcReg = await registry();
  const dstReg = await registry();
  const set = seedShapedImages(15);
  await pushSeed(srcReg, set);

  const srcFaults = faultHooks({ seed: 7, rate: 0.1 });
  const dstFaults = faultHooks({ seed: 11, rate: 0.1, kinds: TARGET_KINDS });
  const srcProxy = await proxy({ upstream: { url: srcReg.url }, ...srcFaults });
  const dstProxy = await proxy({ upstream: { url: dstReg.url }, ...dstFaults });
  // A short body timeout so stalled bodies are detected quickly; small real backoffs (FAST_BACKOFF).
  const clock = recordingClock();
  // No low-speed limit: its ticker would sleep on this clock (test/faults/slow-bodies.test.ts covers it).
  const src = await ferry(srcReg, { via: srcProxy.url, bodyTimeoutMs: 400, headersTimeoutMs: 2000, lowSpeedLimit: 0 }, { clock });
  const dst = await ferry(dstReg, { via: dstProxy.url, bodyTimeoutMs: 2000, lowSpeedLimit: 0 }, { clock });

  const transfers = new BlobTransfers();
  const limit = new Semaphore(4);
  const outcomes = await Promise.allSettled(
    set.images.map((i) =>
      limit.run(() =>
        copyImage(src, parseReference(`${srcReg.host}/${i.repo}:${i.tag}`), dst, parseReference(`${dstReg.host}/mirror/${i.repo}:${i.tag}`), {
          transfers,
          blobAttempts: BLOB_ATTEMPTS,
        }),
      ),
    ),
  );
  const failed = outcomes.flatMap((o, n) => (o.status === 'rejected' ? [`${set.images[n]?.repo}:${set.images[n]?.tag}: ${String(o.reason)}`] : []));
  assert.deepEqual(failed, [], 'no image failed');

  for (const i of set.images) {
    const t = await checkTarget(dstReg, `mirror/${i.repo}`, i.tag);
    assert.equal(t.state, 'complete', `${i.repo}:${i.tag} missing ${t.missing.join(', ')}`);
    assert.equal(t.digest, i.manifest.digest, `${i.repo}:${i.tag} digest-exact`);
  }
  const src429 = srcFaults.counts();
  const total = srcFaults.injected.length + dstFaults.injected.length;
  console.log(
    `# fault run: ${set.images.length} images; ${clock.sleeps.length} waits (${clock.sleeps.reduce((a, b) => a + b, 0)} ms asked); ${total} faults injected over ${srcProxy.records.length + dstProxy.records.length} requests; source ${JSON.stringify(src429)}; target ${JSON.stringify(dstFaults.counts())}`,
  );
  // Every kind of fault really happened.
  for (const k of ['reset', '500', '503', '429-retry-after', '429-hub', 'truncate', 'stall', 'flip'] as const) assert.ok((src429[k] ?? 0) > 0, `source fault ${k} injected`);
  assert.ok(total >= 30, `enough faults (${total})`);
  // Bounded: every wait within the policy or a Retry-After; no request repeated beyond the attempts a blob
  // transfer may make (whole-transfer attempts × request attempts). Upload starts are left out: one per blob,
  // all on one path. (Waits are not compared with the faults' count: on a loaded machine a slow body may also
  // run into the short body timeout, and that retry is right too.)
  assert.ok(clock.sleeps.length > 0, 'faults were waited out');
  const tooLong = clock.sleeps.filter((ms) => ms > Math.max(FAST_BACKOFF.maxMs, MAX_RETRY_AFTER_MS));
  assert.deepEqual(tooLong, [], 'no wait beyond the backoff policy or the Retry-After given');
  const perRequest = new Map<string, number>();
  for (const r of [...srcProxy.records, ...dstProxy.records]) {
    if (r.method === 'POST' && /\/blobs\/uploads\/$/.test(r.path)) continue;
    const id = `${r.method} ${normalisePath(r.path)}`;
    perRequest.set(id, (perRequest.get(id) ?? 0) + 1);
  }
  const repeated = [...perRequest].filter(([, n]) => n > FAST_BACKOFF.attempts * BLOB_ATTEMPTS);
  assert.deepEqual(repeated, [], 'no request repeated beyond its attempts');
});
