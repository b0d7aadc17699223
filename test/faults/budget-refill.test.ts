/**
 * The whole path of a paused pull budget, in real time: a Hub look-alike whose window rolls (each pull leaves it
 * 1.8 s after it was made, while the headers announce Hub's 6 h) is spent after two pulls; ferry pauses, re-reads
 * the budget with a free HEAD every second, and finishes as soon as the pulls have left the window. Waiting for the
 * announced window or a blind sleep would run into the test's timeout, which is only a safety net.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/clock.js';
import { StatusStore } from '../../src/server/status-store.js';
import { createRuntime } from '../../src/sync/runtime.js';
import type { BudgetSnapshot } from '../../src/registry/budget/budget-state.js';
import { isBudgetEvent, SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';
import { tagsOf } from '../cli/helpers.js';
import { hubLimitHooks } from '../harness/faults.js';
import { makeImage, pushImage } from '../harness/images.js';
import { proxy, registry } from './helpers.js';

test('budget spent, refilled about 2 s later: ferry re-checks every second and finishes', { timeout: 60_000 }, async () => {
  const src = await registry();
  const dst = await registry();
  const tags = ['v1', 'v2', 'v3', 'v4'];
  for (const [i, tag] of tags.entries()) await pushImage(src, 'lib/app', tag, makeImage({ kind: 'docker', layers: [500], seed: `refill-${i}` }));
  const hub = hubLimitHooks({ limit: 2, windowSeconds: 1.8, announcedWindowSeconds: 21_600, rolling: true, now: () => Date.now() });
  const heads: number[] = []; // manifest HEADs on the source: the plan's, then the budget's re-reads
  const p = await proxy({
    upstream: { url: src.url },
    onRequest: (req, rec) => {
      if (req.method === 'HEAD' && /\/manifests\//.test(req.url ?? '')) heads.push(Date.now());
      return hub.onRequest(req, rec);
    },
    transformResponse: hub.transformResponse,
  });
  const yaml = `registries:
  ${src.host}:
    endpoint: ${p.url}
tasks:
  - name: refill
    source: {registry: ${src.host}, auth: none}
    target: {registry: ${dst.host}, auth: none}
    mappings:
      - {from: lib/app, to: lib/app}
`;
  const { config } = parseConfig(yaml, 'refill.yaml');
  const bus = new SyncEventBus();
  const events: SyncEvent[] = [];
  const store = new StatusStore(new RunProjection(bus));
  let pausedStatus: Omit<BudgetSnapshot, 'waiting' | 'exhausted'> | undefined;
  bus.on((e) => {
    events.push(e);
    if (isBudgetEvent(e) && e.budget.nextCheckAtMs !== undefined) pausedStatus ??= store.snapshot().budgets[0];
  });
  // one copy at a time: the third GET meets the spent budget (a pause at the reserve of 0, not a 429)
  const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus, imageConcurrency: 1, budgetRecheck: { firstMs: 1000, maxMs: 1000 } });
  after(() => rt.close());
  const summary = await rt.run(config.tasks[0]!);

  assert.equal(summary.ok, true, JSON.stringify(summary));
  assert.deepEqual([summary.copied, summary.pulls], [4, 4]);
  assert.deepEqual(await tagsOf(dst, 'lib/app'), tags);
  assert.equal(hub.refused, 0, 'ferry paused before the limit: no 429');
  assert.ok(pausedStatus, '/status showed the pause');
  const until = pausedStatus.waitingUntilMs as number;
  const next = pausedStatus.nextCheckAtMs as number;
  assert.ok(until - next > 3_600_000, `the next check (${next}) comes hours before the announced window ends (${until})`);
  const resumed = events.filter(isBudgetEvent).at(-1);
  assert.equal(resumed?.type, 'budget-resume', 'the last budget event is the resumption');
  assert.equal(resumed?.budget.waitingUntilMs, undefined, 'and shows no wait');
  // the window rolls: a pull leaves it at a time, so ferry may pause again after one more pull
  const waits = store.snapshot().budgets[0]?.waits ?? 0;
  assert.ok(waits >= 1, 'paused at least once');
  assert.ok(heads.length >= 1 + waits, `every pause ended by a free HEAD (${heads.length} HEADs, ${waits} pauses)`);
});
