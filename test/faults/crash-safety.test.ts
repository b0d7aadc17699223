/**
 * kill -9 at chosen points of a copy (every kind of request that changes the target, and the middle of a
 * download; first, middle and last of each kind): after each kill no target tag points at an image whose
 * manifests or blobs are missing, and a rerun completes the copy without uploading again a blob that had
 * already reached its target repository. Each kill copies into fresh target repositories, so every round
 * starts from nothing, whatever the rounds before it left.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { build } from 'esbuild';
import { MT, makeImage, makeIndex, pushBlob, pushImage, seededBytes, sha256, type TestBlob, type TestManifest } from '../harness/images.js';
import { checkTarget, onCleanup, proxy, registry } from './helpers.js';
import { describePoint, KillSwitch, planKillPoints, type KillPoint } from './kill-points.js';

const CHILD = fileURLToPath(new URL('./kill-copy-child.ts', import.meta.url));
const MIN_KILLS = 20;

function allBlobDigests(m: TestManifest, base: TestBlob): string[] {
  if (m.kind === 'index') return m.children.flatMap((c) => allBlobDigests(c, base));
  return [...m.blobs.map((b) => b.digest), base.digest];
}

/** A copying child, loaded ahead of time (module loading takes about a second): jobs go in, "done <id>" comes out. */
interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  /** Resolves with the exit signal or code, whichever ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Sends a job; resolves when the child reports it done, or rejects when the child exits first. */
  run(job: object & { id: string }): Promise<void>;
}

/**
 * The child bundled into one file: it starts in ~0.2 s instead of ~1 s through tsx, which over ~27 children is
 * most of this test's time.
 */
async function bundleChild(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-kill-child-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'child.mjs');
  await build({
    entryPoints: [CHILD],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: "import { createRequire as __childRequire } from 'node:module'; const require = __childRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

function spawnChild(script: string): Child {
  const proc = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: ((line: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => lines.forEach((f) => f(line)));
  const ready = new Promise<void>((resolve) => lines.push((l) => l === 'ready' && resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const run = async (job: object & { id: string }): Promise<void> => {
    await ready;
    const done = new Promise<void>((resolve) => lines.push((l) => l === `done ${job.id}` && resolve()));
    proc.stdin?.write(`${JSON.stringify(job)}\n`);
    await Promise.race([done, exited.then((e) => Promise.reject(new Error(`child exited (${e.signal ?? e.code}) during job ${job.id}: ${stderr}`)))]);
  };
  return { proc, ready, exited, stderr: () => stderr, run };
}

test('SIGKILL at chosen request events never leaves a tag on an incomplete image; a rerun completes it and re-sends nothing', async () => {
  const srcReg = await registry();
  const dstReg = await registry();
  const baseBytes = seededBytes('kill:base', 150_000);
  const base: TestBlob = { mediaType: MT.ociLayer, digest: sha256(baseBytes), size: baseBytes.length, bytes: baseBytes };
  const ext = [{ digest: base.digest, size: base.size }];
  const images: { repo: string; tag: string; m: TestManifest }[] = [];
  for (let i = 0; i < 3; i++) {
    images.push({ repo: `kill/app-${i}`, tag: 'v1', m: makeImage({ kind: 'oci', layers: [200_000 + i], seed: `kill-${i}`, externalLayers: ext }) });
  }
  images.push({
    repo: 'kill/multi',
    tag: 'v1',
    m: makeIndex({
      kind: 'oci-index',
      children: ['amd64', 'arm64'].map((a) =>
        makeImage({ kind: 'oci', layers: [180_000], seed: `kill-multi-${a}`, platform: { os: 'linux', architecture: a }, externalLayers: ext }),
      ),
    }),
  });
  for (const i of images) {
    await pushBlob(srcReg, i.repo, base);
    await pushImage(srcReg, i.repo, i.tag, i.m);
  }
  const srcProxy = await proxy({ upstream: { url: srcReg.url } });
  const dstProxy = await proxy({ upstream: { url: dstReg.url } });
  const killSwitch = new KillSwitch(srcProxy, dstProxy);
  const job = (round: string) => ({
    id: round,
    src: { host: srcReg.host, url: srcProxy.url },
    dst: { host: dstReg.host, url: dstProxy.url },
    images: images.map(({ repo, tag }) => ({ from: repo, to: `${round}/${repo}`, tag })),
  });

  const script = await bundleChild();
  const children: Child[] = [];
  const take = (): Child => {
    children.push(spawnChild(script));
    if (children.length < 2) children.push(spawnChild(script));
    return children.shift() as Child;
  };
  const all: Child[] = [];
  const next = (): Child => {
    const c = take();
    all.push(c);
    return c;
  };

  const expectComplete = async (round: string, why: string): Promise<void> => {
    for (const img of images) {
      const t = await checkTarget(dstReg, `${round}/${img.repo}`, img.tag);
      assert.equal(t.state, 'complete', `${why}: ${round}/${img.repo}:${img.tag} is ${t.state} ${t.missing.join(', ')}`);
      assert.equal(t.digest, img.m.digest, `${why}: ${round}/${img.repo}`);
    }
  };
  /** Blobs (repository@digest) already in the target repositories of a round. */
  const landedIn = async (round: string): Promise<Set<string>> => {
    const landed = new Set<string>();
    for (const img of images) {
      for (const d of new Set(allBlobDigests(img.m, base))) {
        const res = await fetch(`${dstReg.url}/v2/${round}/${img.repo}/blobs/${d}`, { method: 'HEAD' });
        if (res.status === 200) landed.add(`${round}/${img.repo}@${d}`);
      }
    }
    return landed;
  };
  /** Reruns a killed round to completion (in `child`): complete afterwards, and no landed blob was uploaded again. */
  const rerun = async (child: Child, round: string, landed: Set<string>, point: KillPoint): Promise<number> => {
    dstProxy.reset();
    await child.run(job(round));
    await expectComplete(round, `rerun after ${describePoint(point)}`);
    const uploaded = dstProxy.filter({ method: 'PUT', pathRegex: new RegExp(`^/v2/${round}/.*/blobs/uploads/.*digest=`) }).map((r) => {
      const repo = /^\/v2\/(.+)\/blobs\/uploads\//.exec(r.path)?.[1] ?? '';
      return `${repo}@${decodeURIComponent(/digest=([^&]+)/.exec(r.path)?.[1] ?? '')}`;
    });
    assert.deepEqual(uploaded.filter((k) => landed.has(k)), [], `rerun after ${describePoint(point)} uploaded again a blob that had landed`);
    return uploaded.length;
  };

  try {
    // A complete copy first: what it asks of the target decides where the kills go.
    const first = next();
    killSwitch.arm('r00');
    await first.run(job('r00'));
    const { counts } = killSwitch.disarm();
    await expectComplete('r00', 'complete copy');
    for (const [kind, n] of Object.entries(counts)) assert.ok(n > 0, `a complete copy makes ${kind} requests (counted ${JSON.stringify(counts)})`);
    const points = planKillPoints(counts);
    assert.ok(points.length >= MIN_KILLS, `${points.length} kill points`);

    let pending: { round: string; landed: Set<string>; point: KillPoint } | undefined;
    let child = first;
    let reuploads = 0;
    const states = { absent: 0, complete: 0 };
    for (const [i, point] of points.entries()) {
      const round = `r${String(i + 1).padStart(2, '0')}`;
      // The child that copied the first round (or reran the previous one) copies this one and dies at the chosen point.
      if (pending) reuploads += await rerun(child, pending.round, pending.landed, pending.point);
      killSwitch.arm(round, point, child.proc);
      const outcome = await child.run(job(round)).then(
        () => 'completed',
        () => 'exited',
      );
      if (outcome === 'completed') child.proc.kill('SIGKILL');
      const exit = await child.exited;
      await dstProxy.idle();
      const { fired } = killSwitch.disarm();
      assert.ok(fired && outcome === 'exited', `${describePoint(point)} was not reached in round ${round} (a complete copy counted ${JSON.stringify(counts)}) ${child.stderr()}`);
      assert.equal(exit.signal, 'SIGKILL', child.stderr());
      for (const img of images) {
        const t = await checkTarget(dstReg, `${round}/${img.repo}`, img.tag);
        assert.notEqual(t.state, 'incomplete', `after ${describePoint(point)}: ${round}/${img.repo}:${img.tag} misses ${t.missing.join(', ')}`);
        if (t.state === 'complete') assert.equal(t.digest, img.m.digest);
        states[t.state === 'complete' ? 'complete' : 'absent']++;
      }
      pending = { round, landed: await landedIn(round), point };
      child = next();
    }
    if (pending) reuploads += await rerun(child, pending.round, pending.landed, pending.point);
    console.log(`# crash safety: ${points.length} kills at chosen requests; ${states.complete} tags complete and ${states.absent} absent after them; reruns uploaded ${reuploads} blobs`);
  } finally {
    for (const c of [...all, ...children]) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
});
