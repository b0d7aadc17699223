/**
 * PullBudget in isolation (FakeClock): no headers no limit, reserve, Retry-After exhaustion, identities, and the
 * re-checks of a paused budget (a free HEAD on a back-off schedule; reset and Retry-After only bound the wait).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Exchange } from '../../src/registry/client.js';
import { DEFAULT_RESERVE, PullBudget, type BudgetEvent } from '../../src/registry/budget/pull-budget.js';
import { DEFAULT_RECHECK, recheckDelay } from '../../src/registry/budget/recheck.js';
import { FakeClock } from '../../src/clock.js';

const ex = (status: number, headers: Exchange['headers'], method = 'HEAD'): Exchange => ({ registry: 'docker.io', method, kind: 'manifest', url: 'https://r/v2/x/manifests/1', status, headers });
const hub = (limit: number, remaining: number): Exchange['headers'] => ({ 'ratelimit-limit': `${limit};w=21600`, 'ratelimit-remaining': `${remaining};w=21600` });

test('no rate-limit headers: no limit, nothing waits', async () => {
  const b = new PullBudget({ clock: new FakeClock() });
  b.observe(ex(200, {}));
  await b.acquire('docker.io', 1000);
  assert.equal(b.state('docker.io'), undefined);
});

test('default reserve is 0: pulls that fit in what Hub reports left never wait; pull-reserve is an opt-in', async () => {
  assert.equal(DEFAULT_RESERVE, 0);
  const clock = new FakeClock();
  const b = new PullBudget({ clock });
  b.observe(ex(200, hub(200, 3)));
  for (let i = 0; i < 3; i++) await b.acquire('docker.io'); // resolves at once, or the test hangs and fails
  assert.equal(b.state('docker.io')?.remaining, 0);
  assert.equal(clock.pending, 0, 'nothing slept');
  const kept = new PullBudget({ clock, reserve: { 'docker.io': 2 } });
  kept.observe(ex(200, hub(200, 3)));
  await kept.acquire('docker.io');
  let waiting = true;
  void kept.acquire('docker.io').then(() => (waiting = false));
  await clock.advance(0);
  assert.equal(waiting, true, 'an explicit reserve still holds pulls back');
});

test('a 429 with Retry-After exhausts the budget until then; a fresh report ends it early', async () => {
  const clock = new FakeClock(1_000);
  const b = new PullBudget({ clock });
  b.observe(ex(429, { 'retry-after': '120' }, 'GET'), 'alice');
  let done = false;
  const p = b.acquire('docker.io', 1, { identity: 'alice' }).then(() => (done = true));
  await clock.advance(60_000);
  assert.equal(done, false);
  assert.equal(b.state('docker.io', 'alice')?.resetAtMs, 121_000);
  b.observe(ex(200, hub(100, 50)), 'alice'); // a free HEAD shows budget again
  await p;
  assert.equal(clock.now(), 61_000, 'resumed on the report, before the Retry-After');
});

test('several credentials: the one with most budget left is chosen; an unknown one is tried first', () => {
  const b = new PullBudget({ clock: new FakeClock() });
  b.observe(ex(200, hub(200, 20)), 'alice');
  b.observe(ex(200, hub(200, 150)), 'bob');
  assert.equal(b.pick('docker.io', ['alice', 'bob']), 'bob');
  assert.equal(b.pick('docker.io', ['alice', 'bob', 'carol']), 'carol');
  b.observe(ex(429, {}, 'GET'), 'bob');
  assert.equal(b.pick('docker.io', ['alice', 'bob']), 'alice', 'an exhausted identity comes last');
});

const WINDOW_MS = 21_600_000;

/** A budget paused at 0 left, with a probe that answers as `answer(n)` says (n = the check's number, from 0). */
function paused(answer: (n: number) => Exchange['headers'], o: { reserve?: number; spent?: Exchange } = {}) {
  const clock = new FakeClock(0);
  const events: BudgetEvent[] = [];
  const b = new PullBudget({ clock, reserve: { 'docker.io': o.reserve ?? 0 }, onEvent: (e) => events.push(e) });
  b.observe(o.spent ?? ex(200, hub(200, 0)));
  const checks: number[] = [];
  const probe = async (): Promise<void> => {
    b.observe(ex(200, answer(checks.length)));
    checks.push(clock.now());
  };
  let resumedAt: number | undefined;
  const p = b.acquire('docker.io', 1, { probe }).then(() => (resumedAt = clock.now()));
  return { clock, b, events, checks, p, resumedAt: () => resumedAt };
}

test('re-check schedule: about 1 min, doubling, at most 10 min between free HEADs', () => {
  assert.deepEqual(DEFAULT_RECHECK, { firstMs: 60_000, maxMs: 600_000 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map((n) => recheckDelay(n)), [60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  assert.deepEqual([0, 1, 2].map((n) => recheckDelay(n, { firstMs: 1000, maxMs: 1000 })), [1000, 1000, 1000]);
});

test('a paused budget is re-read on the schedule, never slept through to now + window, and resumes at the first report of budget', async () => {
  const s = paused((n) => hub(200, n < 4 ? 0 : 3));
  await s.clock.advance(0);
  const wait = s.events.find((e) => e.type === 'budget-wait');
  assert.ok(wait?.type === 'budget-wait');
  assert.equal(wait.nextCheckAtMs, 60_000, 'the pause says when the next check is');
  assert.equal(wait.resumeAtMs, WINDOW_MS, 'the window is only the upper bound');
  assert.equal(s.b.state('docker.io')?.nextCheckAtMs, 60_000, '/status shows the next check');
  await s.clock.advance(WINDOW_MS);
  await s.p;
  // checks at 1, 3, 7, 15, 25 min; the fifth (at 25 min) sees 3 left
  assert.deepEqual(s.checks, [60_000, 180_000, 420_000, 900_000, 1_500_000]);
  assert.equal(s.resumedAt(), 1_500_000, 'resumed on the check that showed budget, hours before the window ends');
  const checks = s.events.filter((e) => e.type === 'budget-check');
  assert.deepEqual(
    checks.map((e) => e.type === 'budget-check' && e.nextCheckAtMs),
    [180_000, 420_000, 900_000, 1_500_000],
    'each check that finds no budget announces the next one',
  );
  assert.ok(s.events.some((e) => e.type === 'budget-resume'));
  assert.equal(s.b.state('docker.io')?.nextCheckAtMs, undefined, 'no next check once resumed');
});

test('ratelimit-reset bounds the wait from above: checks before it, then the budget is taken as refilled', async () => {
  const s = paused(() => hub(200, 0), { spent: ex(200, { ...hub(200, 0), 'ratelimit-reset': '300' }) });
  await s.clock.advance(WINDOW_MS);
  await s.p;
  assert.deepEqual(s.checks, [60_000, 180_000], 'checks until the reset');
  assert.equal(s.resumedAt(), 300_000, 'resumed at the reset time');
});

test('Retry-After bounds the wait after a 429; a check before it that shows budget resumes at once', async () => {
  const late = paused(() => hub(200, 0), { spent: ex(429, { 'retry-after': '90' }, 'GET') });
  await late.clock.advance(WINDOW_MS);
  await late.p;
  assert.deepEqual([late.checks, late.resumedAt()], [[60_000], 90_000]);

  const early = paused(() => hub(200, 7), { spent: ex(429, { 'retry-after': '3600' }, 'GET') });
  await early.clock.advance(WINDOW_MS);
  await early.p;
  assert.deepEqual([early.checks, early.resumedAt()], [[60_000], 60_000]);
});

test('a re-check that fails is retried on the schedule; waiters share one check', async () => {
  const clock = new FakeClock(0);
  const b = new PullBudget({ clock });
  b.observe(ex(200, hub(200, 0)));
  const checks: number[] = [];
  const probe = async (): Promise<void> => {
    checks.push(clock.now());
    if (checks.length === 1) throw new Error('connection reset');
    b.observe(ex(200, hub(200, 5)));
  };
  const all = Promise.all([b.acquire('docker.io', 1, { probe }), b.acquire('docker.io', 1, { probe }), b.acquire('docker.io', 1, { probe })]);
  await clock.advance(WINDOW_MS);
  await all;
  assert.deepEqual(checks, [60_000, 180_000], 'one HEAD per check for three waiters; the failed one is followed by the next');
  assert.equal(b.state('docker.io')?.remaining, 2);
});
