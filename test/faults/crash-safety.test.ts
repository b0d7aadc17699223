/**
 * kill -9 at random points of a copy (≥ 20 times): after each kill no target tag points at an image whose
 * manifests or blobs are missing; a final run completes the work without transferring again a blob that had
 * already reached its target repository.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { mulberry32 } from '../harness/faults.js';
import { MT, makeImage, makeIndex, pushBlob, pushImage, seededBytes, sha256, type TestBlob, type TestManifest } from '../harness/images.js';
import { checkTarget, proxy, registry } from './helpers.js';

const CHILD = fileURLToPath(new URL('./kill-copy-child.ts', import.meta.url));
const MIN_KILLS = 20;

/** Slows a body to `bytesPerSecond` (so a copy lasts long enough to be killed in the middle). */
function throttle(bytesPerSecond: number): Transform {
  const piece = 64 * 1024;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const parts: Buffer[] = [];
      for (let o = 0; o < chunk.byteLength; o += piece) parts.push(chunk.subarray(o, o + piece));
      const next = (): void => {
        const p = parts.shift();
        if (!p) return cb();
        this.push(p);
        setTimeout(next, (p.byteLength / bytesPerSecond) * 1000);
      };
      next();
    },
  });
}

function allBlobDigests(m: TestManifest, base: TestBlob): string[] {
  if (m.kind === 'index') return m.children.flatMap((c) => allBlobDigests(c, base));
  return [...m.blobs.map((b) => b.digest), base.digest];
}

test('SIGKILL at random points never leaves a tag on an incomplete image; the final run re-sends nothing', async () => {
  const srcReg = await registry();
  const dstReg = await registry();
  const baseBytes = seededBytes('kill:base', 1_500_000);
  const base: TestBlob = { mediaType: MT.ociLayer, digest: sha256(baseBytes), size: baseBytes.length, bytes: baseBytes };
  const ext = [{ digest: base.digest, size: base.size }];
  const images: { repo: string; tag: string; m: TestManifest }[] = [];
  for (let i = 0; i < 4; i++) {
    images.push({ repo: `kill/app-${i}`, tag: 'v1', m: makeImage({ kind: 'oci', layers: [2_500_000 + i, 300_000], seed: `kill-${i}`, externalLayers: ext }) });
  }
  images.push({
    repo: 'kill/multi',
    tag: 'v1',
    m: makeIndex({
      kind: 'oci-index',
      children: ['amd64', 'arm64'].map((a) =>
        makeImage({ kind: 'oci', layers: [2_000_000, 200_000], seed: `kill-multi-${a}`, platform: { os: 'linux', architecture: a }, externalLayers: ext }),
      ),
    }),
  });
  for (const i of images) {
    await pushBlob(srcReg, i.repo, base);
    await pushImage(srcReg, i.repo, i.tag, i.m);
  }
  const srcProxy = await proxy({
    upstream: { url: srcReg.url },
    transformResponse: (req, up) => (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '') ? { ...up, body: up.body.pipe(throttle(6 << 20)) } : undefined),
  });
  const dstProxy = await proxy({ upstream: { url: dstReg.url } });
  const args = JSON.stringify({
    src: { host: srcReg.host, url: srcProxy.url },
    dst: { host: dstReg.host, url: dstProxy.url },
    images: images.map(({ repo, tag }) => ({ repo, tag })),
  });

  /** A child started ahead of time: loaded, connected, waiting for `go`. */
  const prepare = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, args, 'wait'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, ready, exited, stderr: () => stderr };
  };
  const run = async (p: ReturnType<typeof prepare>, killAfterMs?: number): Promise<{ killed: boolean; code: number | null; stderr: string }> => {
    await p.ready;
    p.child.stdin.end('go\n');
    let killed = false;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => (killed = p.child.exitCode === null && p.child.kill('SIGKILL')), killAfterMs);
    const code = await p.exited;
    clearTimeout(timer);
    return { killed, code, stderr: p.stderr() };
  };

  const random = mulberry32(20240601);
  const started = Date.now();
  let kills = 0;
  let completedEarly = 0;
  const tagged = new Set<string>();
  // Module loading takes seconds: the next child loads while this one copies.
  const pool = [prepare()];
  const take = (): ReturnType<typeof prepare> => {
    pool.push(prepare());
    return pool.shift() as ReturnType<typeof prepare>;
  };
  for (let i = 0; kills < MIN_KILLS && i < MIN_KILLS * 2; i++) {
    const r = await run(take(), Math.floor(random() * 1500));
    if (r.killed) kills++;
    else {
      assert.equal(r.code, 0, r.stderr);
      completedEarly++;
    }
    for (const img of images) {
      const t = await checkTarget(dstReg, img.repo, img.tag);
      if (t.state === 'complete') tagged.add(img.repo);
      assert.notEqual(t.state, 'incomplete', `after kill ${kills}: ${img.repo}:${img.tag} misses ${t.missing.join(', ')}`);
      if (t.state === 'complete') assert.equal(t.digest, img.m.digest);
    }
  }
  assert.ok(kills >= MIN_KILLS, `${kills} kills`);

  // What already reached each target repository before the final run.
  const landed = new Set<string>();
  for (const img of images) {
    for (const d of new Set(allBlobDigests(img.m, base))) {
      const res = await fetch(`${dstReg.url}/v2/${img.repo}/blobs/${d}`, { method: 'HEAD' });
      if (res.status === 200) landed.add(`${img.repo}@${d}`);
    }
  }
  dstProxy.reset();
  srcProxy.reset();
  const last = await run(take());
  for (const p of pool) p.child.kill('SIGKILL');
  assert.equal(last.code, 0, last.stderr);
  for (const img of images) {
    const t = await checkTarget(dstReg, img.repo, img.tag);
    assert.equal(t.state, 'complete', img.repo);
    assert.equal(t.digest, img.m.digest, img.repo);
  }
  const resent = dstProxy
    .filter({ method: 'PUT', pathRegex: /\/blobs\/uploads\/.*digest=/ })
    .map((r) => {
      const repo = /^\/v2\/(.+)\/blobs\/uploads\//.exec(r.path)?.[1] ?? '';
      const digest = decodeURIComponent(/digest=([^&]+)/.exec(r.path)?.[1] ?? '');
      return `${repo}@${digest}`;
    });
  assert.deepEqual(resent.filter((k) => landed.has(k)), [], 'no blob that had landed was uploaded again');
  const srcBlobGets = srcProxy.filter({ method: 'GET', pathRegex: /\/blobs\/sha256:/ }).length;
  console.log(
    `# crash safety: ${kills} kills (${completedEarly} runs finished before their kill; ${tagged.size} of ${images.length} tags written meanwhile) in ${Date.now() - started} ms; ${landed.size} blobs had landed; final run uploaded ${resent.length}, fetched ${srcBlobGets} source blobs`,
  );
});
