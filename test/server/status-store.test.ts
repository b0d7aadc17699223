/** The status store, fed with synthetic sync events and a fake clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatusStore } from '../../src/server/status-store.js';
import type { CopyEvent } from '../../src/sync/events.js';
import type { SyncEventBus } from '../../src/sync/run-events.js';
import { budgetEvent, D1, emitRun, image, projected } from './synthetic.js';

function setup(): { bus: SyncEventBus; store: StatusStore; clock: { t: number } } {
  const clock = { t: 1_700_000_000_000 };
  const { bus, store } = projected(() => clock.t);
  return { bus, store, clock };
}

describe('status store', () => {
  test('readiness needs a loaded config and a running scheduler', () => {
    const { bus, store } = setup();
    assert.equal(store.ready, false);
    bus.emit({ type: 'config-loaded', file: '/config.yaml', tasks: ['hub', 'quay'] });
    assert.equal(store.ready, false);
    bus.emit({ type: 'scheduler-started' });
    assert.equal(store.ready, true);
    const s = store.snapshot();
    assert.deepEqual(s.tasks.map((t) => [t.name, t.state]), [['hub', 'idle'], ['quay', 'idle']]);
    assert.equal(s.configFile, '/config.yaml');
    bus.emit({ type: 'scheduler-stopped' });
    assert.equal(store.ready, false);
  });

  test('a reloaded config drops tasks that are gone and keeps the others', () => {
    const { bus, store } = setup();
    bus.emit({ type: 'config-loaded', file: 'c.yaml', tasks: ['a', 'b'] });
    emitRun(bus, 'a', 1, 2, [image('a', 0, 'copied')]);
    bus.emit({ type: 'config-loaded', file: 'c.yaml', tasks: ['a', 'c'] });
    const s = store.snapshot();
    assert.deepEqual(s.tasks.map((t) => t.name), ['a', 'c']);
    assert.equal(s.tasks[0]?.lastRun?.copied, 1);
  });

  test('last run: when, result, counts, per-mapping results and errors; next run', () => {
    const { bus, store } = setup();
    bus.emit({ type: 'config-loaded', file: 'c.yaml', tasks: ['hub'] });
    bus.emit({ type: 'task-scheduled', task: 'hub', nextRunAt: 5000 });
    const reports = [
      image('hub', 0, 'copied'),
      image('hub', 1, 'up-to-date'),
      image('hub', 2, 'failed', { mapping: 1 }),
      image('hub', 3, 'skipped', { mapping: 1, reason: 'stopped before the copy finished (the tag was not written)' }),
    ];
    emitRun(bus, 'hub', 1000, 4000, reports);
    const t = store.snapshot().tasks[0]!;
    assert.equal(t.state, 'idle');
    assert.equal(t.nextRunAt, 5000);
    assert.equal(t.lastSuccessAt, undefined, 'a run with a failed image is not a success');
    const r = t.lastRun!;
    assert.equal(r.result, 'failed');
    assert.equal(r.durationMs, 3000);
    assert.deepEqual([r.copied, r.upToDate, r.failed, r.skipped, r.bytes, r.pulls], [1, 1, 1, 1, 1000, 1]);
    assert.deepEqual(r.mappings, [
      { mapping: 0, copied: 1, upToDate: 1, failed: 0, skipped: 0, bytes: 1000 },
      { mapping: 1, copied: 0, upToDate: 0, failed: 1, skipped: 1, bytes: 0 },
    ]);
    assert.deepEqual(r.errors, [
      { mapping: 1, source: 'docker.io/library/busybox:1.2', target: 'harbor.example/mirror/busybox:1.2', message: 'denied: requested access to the resource is denied', code: 'DENIED' },
    ]);
    emitRun(bus, 'hub', 6000, 7000, [image('hub', 0, 'up-to-date')]);
    const t2 = store.snapshot().tasks[0]!;
    assert.equal(t2.lastRun?.result, 'ok');
    assert.equal(t2.lastSuccessAt, 7000);
    assert.deepEqual(t2.lastRun?.errors, []);
  });

  test('copies in flight with bytes moved from blob events; cleared when the image finishes', () => {
    const { bus, store, clock } = setup();
    bus.emit({ type: 'task-started', task: 'hub', at: clock.t });
    bus.emit({ type: 'task-planned', task: 'hub', images: 2, toCopy: 2, pullsNeeded: 2 });
    const src = 'docker.io/library/redis:7';
    const dst = 'harbor.example/mirror/redis:7';
    bus.emit({ type: 'image-started', task: 'hub', mapping: 0, source: src, target: dst });
    const copy = (event: CopyEvent): void =>
      bus.emit({ type: 'copy', task: 'hub', mapping: 0, source: src, target: dst, event });
    copy({ type: 'blob-started', digest: D1, size: 4000, repository: 'mirror/redis' });
    copy({ type: 'blob-progress', digest: D1, bytes: 1500, size: 4000 });
    let s = store.snapshot();
    assert.equal(s.copiesInFlight, 1);
    assert.equal(s.tasks[0]?.state, 'running');
    assert.deepEqual(s.tasks[0]?.currentRun, { startedAt: clock.t, planned: { images: 2, toCopy: 2, pullsNeeded: 2 }, pullsSpent: 0, done: 0, failed: 0 });
    assert.deepEqual(s.tasks[0]?.inFlight, [{ source: src, target: dst, startedAt: clock.t, bytes: 1500, totalBytes: 4000 }]);
    copy({ type: 'blob-done', digest: D1, size: 4000, outcome: 'copied', repository: 'mirror/redis', bytes: 4000, durationMs: 5 });
    assert.equal(store.snapshot().tasks[0]?.inFlight[0]?.bytes, 4000);
    // a guessed pull count (images new to the target were not HEADed) says so
    bus.emit({ type: 'task-planned', task: 'hub', images: 2, toCopy: 2, pullsNeeded: 2, pullsEstimated: true });
    assert.deepEqual(store.snapshot().tasks[0]?.currentRun?.planned, { images: 2, toCopy: 2, pullsNeeded: 2, pullsEstimated: true });
    bus.emit({ type: 'image-finished', report: { task: 'hub', mapping: 0, source: src, target: dst, action: 'copied', bytes: 4000, durationMs: 9, pulls: 1 } });
    s = store.snapshot();
    assert.equal(s.copiesInFlight, 0);
    assert.equal(s.tasks[0]?.currentRun?.done, 1);
  });

  test('rate-limit budget per registry and identity, counting waits once each', () => {
    const { bus, store, clock } = setup();
    const b = { registry: 'docker.io', identity: 'anonymous', limit: 100, remaining: 40, windowSeconds: 21600, reserve: 10 };
    bus.emit({ type: 'task-started', task: 'hub', at: 1 });
    bus.emit({ type: 'task-planned', task: 'hub', images: 1, toCopy: 1, pullsNeeded: 1, budget: { ...b, waiting: 0, exhausted: false } });
    bus.emit(budgetEvent({ ...b, remaining: 10, waitingUntilMs: clock.t + 60_000 }));
    bus.emit(budgetEvent({ ...b, remaining: 10, waitingUntilMs: clock.t + 60_000 }));
    bus.emit({ type: 'task-skipped', task: 'hub', reason: 'previous run still going' });
    const s = store.snapshot();
    assert.equal(s.budgets.length, 1);
    assert.equal(s.budgets[0]?.remaining, 10);
    assert.equal(s.budgets[0]?.waits, 1);
    assert.equal(s.tasks[0]?.budget?.remaining, 40);
    assert.deepEqual(s.tasks[0]?.lastSkip, { at: clock.t, reason: 'previous run still going' });
  });

  test('snapshots are copies: mutating one does not change the store', () => {
    const { bus, store } = setup();
    emitRun(bus, 'a', 1, 2, [image('a', 0, 'failed')]);
    const s = store.snapshot();
    s.tasks[0]!.lastRun!.errors.length = 0;
    assert.equal(store.snapshot().tasks[0]?.lastRun?.errors.length, 1);
  });
});
