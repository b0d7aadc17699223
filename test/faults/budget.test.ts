/** PullBudget in isolation (FakeClock): no headers no limit, reserve, Retry-After exhaustion, identities. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Exchange } from '../../src/registry/client.js';
import { defaultReserve, PullBudget } from '../../src/registry/budget/pull-budget.js';
import { FakeClock } from '../../src/scheduler/clock.js';

const ex = (status: number, headers: Exchange['headers'], method = 'HEAD'): Exchange => ({ registry: 'docker.io', method, kind: 'manifest', url: 'https://r/v2/x/manifests/1', status, headers });
const hub = (limit: number, remaining: number): Exchange['headers'] => ({ 'ratelimit-limit': `${limit};w=21600`, 'ratelimit-remaining': `${remaining};w=21600` });

test('no rate-limit headers: no limit, nothing waits', async () => {
  const b = new PullBudget({ clock: new FakeClock() });
  b.observe(ex(200, {}));
  await b.acquire('docker.io', 1000);
  assert.equal(b.state('docker.io'), undefined);
});

test('default reserve: 10% of the limit, at most 10', () => {
  assert.deepEqual([defaultReserve(100), defaultReserve(200), defaultReserve(5), defaultReserve(undefined)], [10, 10, 0, 0]);
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
