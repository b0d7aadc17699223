import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock } from '../../src/clock.js';
import { isFerryError } from '../../src/errors.js';

test('FakeClock: now starts where told and advances', async () => {
  const c = new FakeClock(1000);
  assert.equal(c.now(), 1000);
  await c.advance(250);
  assert.equal(c.now(), 1250);
  await c.advance(-5);
  assert.equal(c.now(), 1250);
});

test('FakeClock: sleepers wake in due order, ties in call order, with now() at their due time', async () => {
  const c = new FakeClock();
  const woke: Array<[string, number]> = [];
  const sleep = (name: string, ms: number): Promise<void> => c.sleep(ms).then(() => void woke.push([name, c.now()]));
  const all = [sleep('c', 30), sleep('a', 10), sleep('b', 10), sleep('d', 100)];
  assert.equal(c.pending, 4);
  await c.advance(50);
  assert.deepEqual(woke, [['a', 10], ['b', 10], ['c', 30]]);
  assert.equal(c.now(), 50);
  assert.equal(c.pending, 1);
  await c.advance(50);
  await Promise.all(all);
  assert.deepEqual(woke.at(-1), ['d', 100]);
});

test('FakeClock: a sleeper that sleeps again within the span wakes again', async () => {
  const c = new FakeClock();
  const ticks: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 3; i++) {
      await c.sleep(10);
      ticks.push(c.now());
    }
  })();
  await c.advance(35);
  await loop;
  assert.deepEqual(ticks, [10, 20, 30]);
});

test('FakeClock: zero or negative sleep resolves without advancing', async () => {
  const c = new FakeClock();
  await c.sleep(0);
  await c.sleep(-1);
  assert.equal(c.pending, 0);
});

test('FakeClock: abort rejects and removes the sleeper', async () => {
  const c = new FakeClock();
  const ac = new AbortController();
  const p = c.sleep(100, ac.signal);
  assert.equal(c.pending, 1);
  ac.abort(new Error('stop'));
  await assert.rejects(p, (e: unknown) => isFerryError(e, 'ABORTED') && (e.cause as Error).message === 'stop');
  assert.equal(c.pending, 0);
  await assert.rejects(c.sleep(5, ac.signal), (e: unknown) => isFerryError(e, 'ABORTED'));
  assert.equal(c.pending, 0);
});

test('systemClock: sleeps, aborts, and tells time', async () => {
  const before = Date.now();
  const t0 = systemClock.now();
  assert.ok(before <= t0 && t0 <= Date.now(), 'wall-clock time');
  await systemClock.sleep(5);
  assert.ok(systemClock.now() >= t0 + 4);
  await systemClock.sleep(0);
  const ac = new AbortController();
  const p = systemClock.sleep(60_000, ac.signal);
  ac.abort();
  await assert.rejects(p, (e: unknown) => isFerryError(e, 'ABORTED'));
  await assert.rejects(systemClock.sleep(1, ac.signal), (e: unknown) => isFerryError(e, 'ABORTED'));
});
