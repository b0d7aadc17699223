/**
 * A source behind a Docker Hub pull-limit emulation (ratelimit-* headers; plain-text 429 once the window is
 * spent). ferry plans its pulls, pauses manifest GETs at the reserve, resumes when the window refills (a
 * FakeClock drives both the limit and the budget), treats Hub's 429 as "exhausted", and finishes without a
 * failed copy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseReference } from '../../src/ref/reference.js';
import { connectBudgeted } from '../../src/registry/budget/credential-pool.js';
import { PullBudget, type BudgetEvent } from '../../src/registry/budget/pull-budget.js';
import { FakeClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/index.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { pullsAgainstBudget } from '../../src/sync/plan.js';
import { planTask } from '../../src/sync/plan-task.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { hubLimitHooks, type HubLimitHooks } from '../harness/faults.js';
import { makeImage, makeIndex, pushImage, type TestManifest } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { checkTarget, FAST_BACKOFF, ferry, onCleanup, proxy, registry } from './helpers.js';

const WINDOW_S = 60;

async function setup(limit: number, reserve: number, wrap?: (hub: HubLimitHooks) => HubLimitHooks) {
  const clock = new FakeClock(0);
  const srcReg = await registry();
  const dstReg = await registry();
  const images: { repo: string; m: TestManifest }[] = [];
  for (let i = 0; i < 5; i++) images.push({ repo: `lib/single-${i}`, m: makeImage({ kind: 'oci', layers: [2000 + i], seed: `rl-${i}` }) });
  images.push({
    repo: 'lib/multi',
    m: makeIndex({
      kind: 'docker-list',
      children: [
        makeImage({ kind: 'docker', layers: [1500], seed: 'rl-amd64' }),
        makeImage({ kind: 'docker', layers: [1600], seed: 'rl-arm64', platform: { os: 'linux', architecture: 'arm64' } }),
      ],
    }),
  });
  for (const i of images) await pushImage(srcReg, i.repo, 'latest', i.m);
  const base = hubLimitHooks({ limit, windowSeconds: WINDOW_S, now: () => clock.now() });
  const hub = wrap ? wrap(base) : base;
  const p = await proxy({ upstream: { url: srcReg.url }, onRequest: hub.onRequest, transformResponse: hub.transformResponse });
  const events: BudgetEvent[] = [];
  let onWait: (() => void) | undefined;
  const budget = new PullBudget({
    clock,
    reserve: { [srcReg.host]: reserve },
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'budget-wait') onWait?.();
    },
  });
  const src = await connectBudgeted(srcReg.host, { endpoint: p.url }, { clock, backoff: FAST_BACKOFF }, budget);
  onCleanup(() => src.close());
  const dst = await ferry(dstReg);
  const nextWait = (): Promise<void> => new Promise((resolve) => (onWait = resolve));
  return { clock, srcReg, dstReg, images, hub: base, proxy: p, budget, events, src, dst, nextWait };
}

/** Copies everything (two at a time); each time the budget pauses, moves the clock one window on. */
async function runThroughWindows(s: Awaited<ReturnType<typeof setup>>, onPause: () => void): Promise<number> {
  const transfers = new BlobTransfers();
  const queue = [...s.images];
  const worker = async (): Promise<void> => {
    for (let i = queue.shift(); i; i = queue.shift()) {
      await copyImage(s.src, parseReference(`${s.srcReg.host}/${i.repo}:latest`), s.dst, parseReference(`${s.dstReg.host}/${i.repo}:latest`), { transfers });
    }
  };
  let finished = false;
  const done = Promise.all([worker(), worker()]).finally(() => (finished = true));
  let windows = 0;
  for (;;) {
    const paused = s.nextWait();
    await Promise.race([done, paused]);
    if (finished) break;
    onPause();
    windows++;
    await s.clock.advance(WINDOW_S * 1000);
  }
  await done;
  return windows;
}

async function assertMirrored(dstReg: RegistryHandle, images: { repo: string; m: TestManifest }[]): Promise<void> {
  for (const i of images) {
    const t = await checkTarget(dstReg, i.repo, 'latest');
    assert.equal(t.state, 'complete', i.repo);
    assert.equal(t.digest, i.m.digest, i.repo);
  }
}

describe('Docker Hub pull budget', () => {
  test('plans its pulls, pauses at the reserve, resumes when the window refills, never meets a 429', async () => {
    const s = await setup(5, 2);
    // what `ferry plan` does: the task planned with HEADs, its pulls set against the source's budget
    const mappings = s.images.map((i) => `      - from: ${i.repo}\n        tags: [latest]\n`).join('');
    const { config } = parseConfig(`tasks:\n  - name: t\n    source: {registry: '${s.srcReg.host}', auth: none}\n    target: {registry: '${s.dstReg.host}', auth: none}\n    mappings:\n${mappings}`, 'c.yaml', { env: {} });
    const plan = await planTask(config.tasks[0]!, { src: s.src, dst: s.dst });
    assert.equal(plan.toCopy, 6);
    assert.equal(plan.pulls, 7, '5 single-platform images + an index, at least 2 until it is read (it has 2 children)');
    assert.equal(plan.pullsEstimated, true);
    assert.equal(s.hub.pulls, 0, 'planning costs no pull (HEAD only)');
    const line = pullsAgainstBudget(plan.pulls, plan.pullsEstimated, s.budget.state(s.srcReg.host));
    assert.match(line, /at least 7 manifest pulls needed; 5 of 5 left \(reserve 2\); 4 will wait for the budget to refill/);

    const windows = await runThroughWindows(s, () => {
      // Paused at the reserve: the source still has at least the reserve left (a second copy's GET may still
      // be in flight when the first one starts waiting), ferry stopped GETting before going below it.
      assert.ok(s.hub.remaining() >= 2, `remaining ${s.hub.remaining()} at a pause`);
      const st = s.budget.state(s.srcReg.host);
      assert.ok(st && st.waiting > 0 && st.resetAtMs !== undefined, 'waiting copies and a resume time are visible');
    });
    assert.equal(windows, 2, '8 pulls at 3 per window: two pauses');
    assert.equal(s.hub.refused, 0, 'no 429: ferry kept to the reserve');
    assert.equal(s.hub.pulls, 8, 'exactly the planned pulls');
    assert.ok(s.events.some((e) => e.type === 'budget-resume'));
    await assertMirrored(s.dstReg, s.images);
  });

  test("Hub's plain-text 429 (no Retry-After) means exhausted: ferry waits for the window, then finishes", async () => {
    // Someone else on the same IP spends the whole budget just before ferry's third pull.
    let spent = false;
    const s = await setup(6, 0, (hub) => ({
      ...hub,
      onRequest: (req, rec) => {
        if (req.method === 'GET' && /\/manifests\//.test(req.url ?? '') && hub.pulls === 2 && !spent) {
          spent = true;
          hub.spend(hub.remaining());
        }
        return hub.onRequest(req, rec);
      },
    }));
    const windows = await runThroughWindows(s, () => {});
    assert.ok(windows >= 1);
    assert.ok(s.hub.refused >= 1 && s.hub.refused <= 2, `429s met: ${s.hub.refused} (one per copy in flight, no spinning)`);
    const exhausted = s.events.find((e) => e.type === 'budget-exhausted');
    assert.ok(exhausted && exhausted.type === 'budget-exhausted');
    assert.equal(exhausted.resumeAtMs, WINDOW_S * 1000, 'resumes one window later');
    await assertMirrored(s.dstReg, s.images);
  });
});
