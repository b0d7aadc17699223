/**
 * A 10% fault rate on both sides (seeded, deterministic per request): resets, 5xx, 429 with and without
 * Retry-After, truncated, stalled and bit-flipped bodies. A seed-shaped set still ends digest-exact on the
 * target, no tag points at an incomplete image, and the run ends in bounded time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReference } from '../../src/ref/reference.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { Semaphore } from '../../src/registry/transport/semaphore.js';
import { faultHooks, type FaultKind } from '../harness/faults.js';
import { checkTarget, ferry, proxy, pushSeed, registry, seedShapedImages } from './helpers.js';

const TARGET_KINDS: FaultKind[] = ['reset', '500', '502', '503', '504', '429-retry-after', '429-hub'];

test('10% faults over a seed-shaped set: every image digest-exact, no incomplete tag, bounded time', async () => {
  const srcReg = await registry();
  const dstReg = await registry();
  const set = seedShapedImages(15);
  await pushSeed(srcReg, set);

  const srcFaults = faultHooks({ seed: 7, rate: 0.1 });
  const dstFaults = faultHooks({ seed: 11, rate: 0.1, kinds: TARGET_KINDS });
  const srcProxy = await proxy({ upstream: { url: srcReg.url }, ...srcFaults });
  const dstProxy = await proxy({ upstream: { url: dstReg.url }, ...dstFaults });
  // A short body timeout so stalled bodies are detected quickly; small real backoffs (FAST_BACKOFF).
  const src = await ferry(srcReg, { via: srcProxy.url, bodyTimeoutMs: 400, headersTimeoutMs: 2000 });
  const dst = await ferry(dstReg, { via: dstProxy.url, bodyTimeoutMs: 2000 });

  const started = Date.now();
  const transfers = new BlobTransfers();
  const limit = new Semaphore(4);
  const outcomes = await Promise.allSettled(
    set.images.map((i) =>
      limit.run(() =>
        copyImage(src, parseReference(`${srcReg.host}/${i.repo}:${i.tag}`), dst, parseReference(`${dstReg.host}/mirror/${i.repo}:${i.tag}`), {
          transfers,
          blobAttempts: 5,
        }),
      ),
    ),
  );
  const elapsed = Date.now() - started;
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
    `# fault run: ${set.images.length} images in ${elapsed} ms; ${total} faults injected over ${srcProxy.records.length + dstProxy.records.length} requests; source ${JSON.stringify(src429)}; target ${JSON.stringify(dstFaults.counts())}`,
  );
  // Every kind of fault really happened, and the run stayed bounded.
  for (const k of ['reset', '500', '503', '429-retry-after', '429-hub', 'truncate', 'stall', 'flip'] as const) assert.ok((src429[k] ?? 0) > 0, `source fault ${k} injected`);
  assert.ok(total >= 30, `enough faults (${total})`);
  assert.ok(elapsed < 45_000, `bounded time (${elapsed} ms)`);
});
