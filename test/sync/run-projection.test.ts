/** The run projection's reducer, alone: events in, state out, with the sequences a real run produces. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BudgetSnapshot } from '../../src/registry/budget/budget-state.js';
import type { CopyEvent } from '../../src/sync/events.js';
import type { ImageReport, SyncEvent } from '../../src/sync/run-events.js';
import { projectRun, reduceRun } from '../../src/sync/run-projection.js';
import { emptyRunState, inFlightKey } from '../../src/sync/run-state.js';
import { D1, D2, image, summary } from '../server/synthetic.js';

const S = 'docker.io/library/redis:7';
const T = 'harbor.example/mirror/redis:7';
const started = (mapping = 0, source = S, target = T): SyncEvent => ({ type: 'image-started', task: 'hub', mapping, source, target });
const copy = (event: CopyEvent, mapping = 0, source = S, target = T): SyncEvent => ({ type: 'copy', task: 'hub', mapping, source, target, event });
const finished = (r: Partial<ImageReport> = {}): SyncEvent => ({ type: 'image-finished', report: { task: 'hub', mapping: 0, source: S, target: T, action: 'copied', bytes: 0, durationMs: 1, pulls: 1, ...r } });
const inFlight = (events: SyncEvent[], mapping = 0, source = S, target = T) => projectRun(events).tasks.get('hub')?.inFlight.get(inFlightKey(mapping, source, target));

describe('run projection', () => {
  test('counts images by outcome, per mapping, with bytes and pulls; a listing failure fails the run but is no image', () => {
    const reports = [image('hub', 0, 'copied'), image('hub', 1, 'up-to-date'), image('hub', 2, 'failed', { mapping: 1 }), image('hub', 3, 'skipped', { mapping: 1 })];
    const events: SyncEvent[] = [
      { type: 'config-loaded', file: 'c.yaml', tasks: ['hub'] },
      { type: 'task-started', task: 'hub', at: 10 },
      { type: 'listing-failed', task: 'hub', mapping: 2, what: 'mapping', source: 'regex:^lib/', error: 'catalog refused', code: 'DENIED' },
      { type: 'task-planned', task: 'hub', images: 4, toCopy: 1, pullsNeeded: 1, filteredOut: 7 },
      ...reports.map((report): SyncEvent => ({ type: 'image-finished', report })),
    ];
    const running = projectRun(events).tasks.get('hub')?.current;
    assert.deepEqual(running?.counts, { copied: 1, upToDate: 1, failed: 2, skipped: 1, bytes: 1000, pulls: 1 });
    assert.equal(running?.done, 4);
    assert.equal(running?.filteredOut, 7);

    const state = projectRun([...events, { type: 'task-finished', summary: summary('hub', 10, 20, reports, { ok: false }) }]);
    const t = state.tasks.get('hub')!;
    assert.equal(t.current, undefined);
    assert.deepEqual([t.lastRun?.copied, t.lastRun?.upToDate, t.lastRun?.failed, t.lastRun?.skipped, t.lastRun?.result], [1, 1, 2, 1, 'failed']);
    assert.deepEqual(t.lastRun?.mappings, [
      { mapping: 0, copied: 1, upToDate: 1, failed: 0, skipped: 0, bytes: 1000 },
      { mapping: 1, copied: 0, upToDate: 0, failed: 1, skipped: 1, bytes: 0 },
    ]);
    assert.deepEqual(t.lastRun?.errors.map((e) => [e.mapping, e.code]), [[1, 'DENIED']]);
    // the counters count images only, across runs
    assert.deepEqual(state.totals.get('hub'), { images: { copied: 1, upToDate: 1, failed: 1, skipped: 0 + 1 }, bytes: 1000, pulls: 1, runs: { ok: 0, failed: 1 }, lastRunAt: 20 });
  });

  test('a blob retried from the start replaces its bytes; a late progress tick does not take a finished blob back', () => {
    const events = [
      started(),
      copy({ type: 'blob-started', digest: D1, size: 4000, repository: 'mirror/redis' }),
      copy({ type: 'blob-progress', digest: D1, bytes: 3000, size: 4000 }),
      copy({ type: 'blob-retry', digest: D1, attempt: 1, error: 'connection reset' }),
      copy({ type: 'blob-started', digest: D1, size: 4000, repository: 'mirror/redis' }),
      copy({ type: 'blob-progress', digest: D1, bytes: 1000, size: 4000 }),
    ];
    assert.deepEqual([inFlight(events)?.bytes, inFlight(events)?.totalBytes], [1000, 4000], 'not 4000 of 8000');
    const done = [...events, copy({ type: 'blob-done', digest: D1, size: 4000, outcome: 'copied', repository: 'mirror/redis', bytes: 4000, durationMs: 5 })];
    const late = [...done, copy({ type: 'blob-progress', digest: D1, bytes: 3500, size: 4000 })];
    assert.equal(inFlight(late)?.bytes, 4000);
  });

  test('a blob shared by two images counts for each; the first to finish leaves the other in flight', () => {
    const other = 'harbor.example/mirror/redis:7-alpine';
    const events = [
      started(0, S, T),
      started(0, 'docker.io/library/redis:7-alpine', other),
      copy({ type: 'blob-started', digest: D1, size: 4000, repository: 'mirror/redis' }, 0, S, T),
      copy({ type: 'blob-done', digest: D1, size: 4000, outcome: 'copied', repository: 'mirror/redis', bytes: 4000, durationMs: 5 }, 0, S, T),
      // the second image finds it there (the transfer was shared), and has a blob of its own
      copy({ type: 'blob-done', digest: D1, size: 4000, outcome: 'exists', repository: 'mirror/redis', bytes: 0, durationMs: 0 }, 0, 'docker.io/library/redis:7-alpine', other),
      copy({ type: 'blob-started', digest: D2, size: 1000, repository: 'mirror/redis' }, 0, 'docker.io/library/redis:7-alpine', other),
      finished({ bytes: 4000 }),
    ];
    const state = projectRun(events);
    const flying = [...state.tasks.get('hub')!.inFlight.values()];
    assert.deepEqual(flying.map((f) => [f.target, f.bytes, f.totalBytes]), [[other, 4000, 5000]]);
    assert.equal(state.totals.get('hub')?.bytes, 4000, 'bytes moved count once, from the image that moved them');
  });

  test('two mappings onto one target are two copies in flight', () => {
    const events = [started(0), started(1), copy({ type: 'blob-started', digest: D1, size: 10, repository: 'r' }, 1), finished({ mapping: 0 })];
    const state = projectRun(events);
    assert.equal(state.tasks.get('hub')?.inFlight.size, 1);
    assert.equal(inFlight(events, 1)?.totalBytes, 10);
  });

  test('a budget wait, its re-checks and its resumption are one wait; the next pause is another', () => {
    const base: BudgetSnapshot = { registry: 'docker.io', identity: 'robot', limit: 100, remaining: 0, windowSeconds: 21600, reserve: 0, waiting: 1, exhausted: true };
    const paused = (since: number, next: number): BudgetSnapshot => ({ ...base, waitingSinceMs: since, nextCheckAtMs: next, waitingUntilMs: since + 21_600_000 });
    const who = { registry: 'docker.io', identity: 'robot' };
    const events: SyncEvent[] = [
      { type: 'budget-wait', ...who, remaining: 0, limit: 100, reserve: 0, resumeAtMs: 21_600_000, nextCheckAtMs: 60_000, budget: paused(0, 60_000) },
      { type: 'budget-check', ...who, remaining: 0, resumeAtMs: 21_600_000, nextCheckAtMs: 180_000, budget: paused(0, 180_000) },
      // a 429 while paused extends the same pause
      { type: 'budget-exhausted', ...who, resumeAtMs: 21_600_000, reason: 'HTTP 429', budget: paused(0, 180_000) },
    ];
    const during = projectRun(events, (_e, i) => i * 1000).budgets.get('docker.io\u0000robot');
    assert.deepEqual([during?.waits, during?.nextCheckAtMs, during?.waitingUntilMs, during?.updatedAt], [1, 180_000, 21_600_000, 2000]);
    assert.equal(during && 'waiting' in during, false, 'what holds only at an instant is not kept');

    const resumed: SyncEvent = { type: 'budget-resume', ...who, waitedMs: 180_000, remaining: 3, budget: { ...base, remaining: 3, waiting: 0, exhausted: false } };
    const after = projectRun([...events, resumed]).budgets.get('docker.io\u0000robot');
    assert.deepEqual([after?.waits, after?.remaining, after?.waitingUntilMs, after?.nextCheckAtMs], [1, 3, undefined, undefined]);

    const again: SyncEvent = { type: 'budget-wait', ...who, remaining: 0, reserve: 0, resumeAtMs: 22_000_000, budget: paused(400_000, 460_000) };
    // a plan announced during the pause shows the budget, and does not count the pause again
    const planned: SyncEvent = { type: 'task-planned', task: 'hub', images: 1, toCopy: 1, pullsNeeded: 1, budget: paused(400_000, 460_000) };
    const later = projectRun([{ type: 'task-started', task: 'hub', at: 0 }, ...events, resumed, again, planned]);
    assert.equal(later.budgets.get('docker.io\u0000robot')?.waits, 2);
    assert.equal(later.budgets.get('docker.io\u0000robot')?.waitingSinceMs, 400_000);
    // the task keeps the figures its plan was made with, not a pause that may end long before its next run
    assert.deepEqual(later.tasks.get('hub')?.budget, { registry: 'docker.io', identity: 'robot', limit: 100, remaining: 0, windowSeconds: 21600, reserve: 0 });
  });

  test('out-of-order and stray events change nothing they should not', () => {
    const state = projectRun([
      { type: 'task-pulls', task: 'hub', pullsNeeded: 9 }, // before any plan
      copy({ type: 'blob-progress', digest: D1, bytes: 5, size: 10 }), // for an image not in flight
      { type: 'task-started', task: 'hub', at: 1 },
      started(),
      { type: 'task-finished', summary: summary('hub', 1, 2, []) },
      copy({ type: 'blob-started', digest: D1, size: 10, repository: 'r' }), // after the run ended
    ]);
    const t = state.tasks.get('hub')!;
    assert.equal(t.current, undefined);
    assert.equal(t.inFlight.size, 0, 'the run ended: nothing is in flight');
    assert.equal(t.lastRun?.copied, 0);
  });

  test('a reload drops a task from the page, not from the counters; the summary counts only when the run was missed', () => {
    const state = projectRun([
      { type: 'config-loaded', file: 'c.yaml', tasks: ['a', 'b'], configured: ['a', 'b', 'c'] },
      finished({ task: 'b' }),
      { type: 'config-loaded', file: 'c.yaml', tasks: ['a'] },
      // a run whose start this projection never saw: its counts are the summary's
      { type: 'task-finished', summary: summary('a', 0, 5, [image('a', 0, 'copied'), image('a', 1, 'copied')]) },
    ]);
    assert.deepEqual([...state.tasks.keys()], ['a']);
    assert.deepEqual([...state.totals.keys()], ['a', 'b', 'c']);
    assert.equal(state.totals.get('b')?.images.copied, 1);
    assert.equal(state.tasks.get('a')?.lastRun?.copied, 2);
  });

  test('reducing one event at a time is reducing them all at once', () => {
    const events: SyncEvent[] = [{ type: 'task-started', task: 'hub', at: 0 }, started(), copy({ type: 'blob-started', digest: D1, size: 8, repository: 'r' }), finished({ bytes: 8 })];
    const one = emptyRunState();
    for (const e of events) assert.equal(reduceRun(one, e, 0), one);
    assert.deepEqual(one, projectRun(events));
  });
});
