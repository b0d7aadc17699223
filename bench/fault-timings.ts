/**
 * How long fault handling takes with real waits: the durations the test suite used to bound with wall-clock
 * assertions (which fail on a loaded machine, and prove nothing on a fast one). The tests now assert behaviour
 * (attempts, waits asked of an injected clock); here the same scenarios run on the system clock and their times
 * are reported, not judged.
 *
 * - fault run (test/faults/fault-run.test.ts): a seed-shaped set copied through proxies injecting 10 % faults on
 *   both sides (resets, 5xx, 429 with and without Retry-After, truncated, stalled and bit-flipped bodies);
 * - stalled body (test/faults/retries.test.ts): a manifest body that stops after 10 bytes, 200 ms body timeout,
 *   3 attempts: the time until ferry gives up with TIMEOUT;
 * - huge error body (test/registry/error-body.test.ts): parsing 1.6 MB of unterminated HTML.
 *
 * Run alone with `node --import tsx bench/fault-timings.ts [--runs N]`, or as the `faults` workload of run.ts.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { isFerryError } from '../src/errors.js';
import { parseReference } from '../src/ref/reference.js';
import { connectRegistry } from '../src/registry/connect.js';
import { parseErrorBody } from '../src/registry/error-body.js';
import { getManifest } from '../src/registry/manifests.js';
import { Semaphore } from '../src/registry/transport/semaphore.js';
import { BlobTransfers } from '../src/sync/blob-transfers.js';
import { copyImage } from '../src/sync/copy-image.js';
import { cutBody, faultHooks, type FaultKind } from '../test/harness/faults.js';
import { makeImage, pushImage } from '../test/harness/images.js';
import { startProxy } from '../test/harness/proxy.js';
import { startRegistry } from '../test/harness/registry.js';
import { pushSeed, seedShapedImages } from '../test/harness/seed-shaped.js';

/** The fault tests' policy (test/faults/helpers.ts FAST_BACKOFF): short real backoffs. */
const BACKOFF = { attempts: 6, baseMs: 20, maxMs: 250 };
const TARGET_KINDS: FaultKind[] = ['reset', '500', '502', '503', '504', '429-retry-after', '429-hub'];

export interface FaultTimings {
  faultRun: { ms: number; images: number; faults: number; failed: number }[];
  stalledBody: number[];
  hugeErrorBody: number[];
}

/** The fault run of fault-run.test.ts, on the system clock. */
async function faultRun(seed: number): Promise<FaultTimings['faultRun'][number]> {
  const [srcReg, dstReg] = await Promise.all([startRegistry({ auth: 'none' }), startRegistry({ auth: 'none' })]);
  const set = seedShapedImages(15);
  await pushSeed(srcReg, set);
  const srcFaults = faultHooks({ seed: 7 + seed, rate: 0.1 });
  const dstFaults = faultHooks({ seed: 11 + seed, rate: 0.1, kinds: TARGET_KINDS });
  const srcProxy = await startProxy({ upstream: { url: srcReg.url }, ...srcFaults });
  const dstProxy = await startProxy({ upstream: { url: dstReg.url }, ...dstFaults });
  const src = await connectRegistry(srcReg.host, { endpoint: srcProxy.url, bodyTimeoutMs: 400, headersTimeoutMs: 2000 }, { backoff: BACKOFF });
  const dst = await connectRegistry(dstReg.host, { endpoint: dstProxy.url, bodyTimeoutMs: 2000 }, { backoff: BACKOFF });
  try {
    const started = performance.now();
    const transfers = new BlobTransfers();
    const limit = new Semaphore(4);
    const outcomes = await Promise.allSettled(
      set.images.map((i) =>
        limit.run(() =>
          copyImage(src, parseReference(`${srcReg.host}/${i.repo}:${i.tag}`), dst, parseReference(`${dstReg.host}/mirror/${i.repo}:${i.tag}`), { transfers, blobAttempts: 5 }),
        ),
      ),
    );
    return {
      ms: performance.now() - started,
      images: set.images.length,
      faults: srcFaults.injected.length + dstFaults.injected.length,
      failed: outcomes.filter((o) => o.status === 'rejected').length,
    };
  } finally {
    await Promise.all([src.close(), dst.close()]);
    await Promise.all([srcProxy.stop(), dstProxy.stop()]);
    await Promise.all([srcReg.stop(), dstReg.stop()]);
  }
}

/** The stalled-body case of retries.test.ts: time until a manifest GET whose body stalls fails with TIMEOUT. */
async function stalledBody(runs: number): Promise<number[]> {
  const reg = await startRegistry({ auth: 'none' });
  const p = await startProxy({
    upstream: { url: reg.url },
    transformResponse: (req, up) => (req.method === 'GET' && /\/manifests\//.test(req.url ?? '') ? { ...up, body: cutBody(up.body, 10, true) } : undefined),
  });
  const out: number[] = [];
  try {
    await pushImage(reg, 'app', 'v1', makeImage({ kind: 'oci', layers: [200_000], seed: 'retries' }));
    for (let i = 0; i < runs; i++) {
      const c = await connectRegistry(reg.host, { endpoint: p.url, bodyTimeoutMs: 200 }, { backoff: { attempts: 3, baseMs: 1, maxMs: 5 } });
      const started = performance.now();
      const err = await getManifest(c, { repository: 'app', reference: 'v1' }).then(() => undefined, (e: unknown) => e);
      out.push(performance.now() - started);
      await c.close();
      if (!isFerryError(err, 'TIMEOUT')) throw new Error(`stalled body: expected TIMEOUT, got ${String(err)}`);
    }
  } finally {
    await p.stop();
    await reg.stop();
  }
  return out;
}

/** The huge-error-body case of error-body.test.ts. */
function hugeErrorBody(runs: number): number[] {
  const body = '<script>'.repeat(200_000);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    parseErrorBody('text/html', body);
    out.push(performance.now() - started);
  }
  return out;
}

export async function faultTimings(runs: number, log: (msg: string) => void = () => undefined): Promise<FaultTimings> {
  const out: FaultTimings = { faultRun: [], stalledBody: [], hugeErrorBody: [] };
  for (let i = 0; i < runs; i++) {
    const r = await faultRun(i);
    out.faultRun.push(r);
    log(`run ${i + 1}: fault run ${Math.round(r.ms)} ms (${r.images} images, ${r.faults} faults injected, ${r.failed} failed)`);
  }
  out.stalledBody = await stalledBody(Math.max(3, runs));
  out.hugeErrorBody = hugeErrorBody(Math.max(5, runs));
  log(`stalled body: [${out.stalledBody.map(Math.round).join(', ')}] ms; huge error body: [${out.hugeErrorBody.map(Math.round).join(', ')}] ms`);
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** The report section (markdown): times only, no targets. */
export function faultTimingsReport(t: FaultTimings): string[] {
  const ms = (xs: number[]): string => `${Math.round(median(xs))} ms (runs: ${xs.map(Math.round).join(', ')})`;
  const fr = t.faultRun;
  return [
    '## Fault handling timings',
    '',
    'Durations the test suite no longer bounds with wall-clock assertions (it asserts attempts and the waits asked of an injected clock); here on the system clock, reported and not judged. Medians.',
    '',
    '| scenario | time |',
    '|---|---|',
    ...(fr.length
      ? [`| fault run: ${fr[0]!.images} seed-shaped images, 10 % faults both sides (${fr.map((r) => r.faults).join(', ')} injected; ${fr.reduce((n, r) => n + r.failed, 0)} images failed) | ${ms(fr.map((r) => r.ms))} |`]
      : []),
    `| stalled manifest body: 200 ms body timeout × 3 attempts until TIMEOUT | ${ms(t.stalledBody)} |`,
    `| huge unterminated HTML error body (1.6 MB) parsed | ${ms(t.hugeErrorBody)} |`,
    '',
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
  const t = await faultTimings(Number(values.runs), (m) => process.stderr.write(`[fault timings] ${m}\n`));
  process.stdout.write(faultTimingsReport(t).join('\n') + '\n');
}
