import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore, RateLimiter } from '../../src/registry/transport/semaphore.js';
import { FakeClock } from '../../src/clock.js';
import { isFerryError } from '../../src/errors.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

for (const bad of [0, -1, 1.5, Number.NaN]) {
  test(`Semaphore rejects limit ${bad}`, () => {
    assert.throws(() => new Semaphore(bad), (e: unknown) => isFerryError(e, 'CONFIG_INVALID'));
  });
}

test('Semaphore: limit respected, FIFO hand-over', async () => {
  const s = new Semaphore(2);
  const r1 = await s.acquire();
  const r2 = await s.acquire();
  assert.equal(s.active, 2);
  const order: string[] = [];
  const p3 = s.acquire().then((r) => (order.push('3'), r));
  const p4 = s.acquire().then((r) => (order.push('4'), r));
  await tick();
  assert.equal(s.waiting, 2);
  assert.deepEqual(order, []);
  r1();
  r1(); // double release is harmless
  await tick();
  assert.deepEqual(order, ['3']);
  assert.equal(s.active, 2);
  r2();
  await tick();
  assert.deepEqual(order, ['3', '4']);
  (await p3)();
  (await p4)();
  assert.equal(s.active, 0);
  assert.equal(s.waiting, 0);
});

test('Semaphore: newcomers do not overtake waiters', async () => {
  const s = new Semaphore(1);
  const r1 = await s.acquire();
  const order: number[] = [];
  const p2 = s.acquire().then((r) => (order.push(2), r));
  r1(); // permit goes to waiter 2, not to the next caller
  const p3 = s.acquire().then((r) => (order.push(3), r));
  (await p2)();
  (await p3)();
  assert.deepEqual(order, [2, 3]);
});

test('Semaphore: abort removes a waiter', async () => {
  const s = new Semaphore(1);
  const r1 = await s.acquire();
  const ac = new AbortController();
  const p2 = s.acquire(ac.signal);
  const p3 = s.acquire();
  assert.equal(s.waiting, 2);
  ac.abort();
  await assert.rejects(p2, (e: unknown) => isFerryError(e, 'ABORTED'));
  assert.equal(s.waiting, 1);
  r1();
  (await p3)();
  assert.equal(s.active, 0);
});

test('Semaphore: already-aborted signal rejects at once', async () => {
  const s = new Semaphore(1);
  await assert.rejects(s.acquire(AbortSignal.abort()), (e: unknown) => isFerryError(e, 'ABORTED'));
  assert.equal(s.active, 0);
});

test('Semaphore: abort after grant does not affect the holder', async () => {
  const s = new Semaphore(1);
  const ac = new AbortController();
  const r = await s.acquire(ac.signal);
  ac.abort();
  assert.equal(s.active, 1);
  r();
  assert.equal(s.active, 0);
});

test('Semaphore.run: releases on success and failure, never exceeds the limit', async () => {
  const s = new Semaphore(3);
  let running = 0;
  let peak = 0;
  const job = async (i: number): Promise<number> => {
    running++;
    peak = Math.max(peak, running);
    await tick();
    running--;
    if (i % 4 === 0) throw new Error(`job ${i}`);
    return i;
  };
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.run(() => job(i))));
  assert.equal(peak, 3);
  assert.equal(results.filter((r) => r.status === 'rejected').length, 5);
  assert.equal(s.active, 0);
  assert.equal(s.waiting, 0);
});

for (const bad of [0, -1, Number.NaN]) {
  test(`RateLimiter rejects rate ${bad}`, () => {
    assert.throws(() => new RateLimiter(bad, new FakeClock()), (e: unknown) => isFerryError(e, 'CONFIG_INVALID'));
  });
}

/** Starts `count` takes and records the fake time at which each resolves. */
function startTakes(rl: RateLimiter, clock: FakeClock, count: number): number[] {
  const at: number[] = [];
  for (let i = 0; i < count; i++) void rl.take().then(() => at.push(clock.now()));
  return at;
}

const rateCases: Array<{ perSecond: number; count: number; advance: number; want: number[] }> = [
  { perSecond: 2, count: 5, advance: 2000, want: [0, 0, 500, 1000, 1500] }, // burst 2, then one per 500 ms
  { perSecond: 1, count: 3, advance: 5000, want: [0, 1000, 2000] },
  { perSecond: 0.5, count: 3, advance: 5000, want: [0, 2000, 4000] }, // burst is at least 1
  { perSecond: 10, count: 12, advance: 1000, want: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200] },
  { perSecond: Infinity, count: 4, advance: 0, want: [0, 0, 0, 0] },
];
for (const c of rateCases) {
  test(`RateLimiter ${c.perSecond}/s, ${c.count} takes`, async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(c.perSecond, clock);
    const at = startTakes(rl, clock, c.count);
    await clock.advance(c.advance);
    assert.deepEqual(at, c.want);
  });
}

test('RateLimiter refills while idle, up to the burst only', async () => {
  const clock = new FakeClock();
  const rl = new RateLimiter(2, clock);
  await rl.take();
  await rl.take();
  await clock.advance(10_000); // refill caps at 2 tokens
  const at = startTakes(rl, clock, 3);
  await clock.advance(1000);
  assert.deepEqual(at, [10_000, 10_000, 10_500]);
});

test('RateLimiter: abort rejects a waiting take', async () => {
  const clock = new FakeClock();
  const rl = new RateLimiter(1, clock);
  await rl.take();
  const ac = new AbortController();
  const p = rl.take(ac.signal);
  ac.abort();
  await assert.rejects(p, (e: unknown) => isFerryError(e, 'ABORTED'));
  await assert.rejects(rl.take(AbortSignal.abort()), (e: unknown) => isFerryError(e, 'ABORTED'));
  assert.equal(clock.pending, 0);
});

test('RateLimiter: a foreign clock rejection on abort still becomes ABORTED', async () => {
  const ac = new AbortController();
  const clock = {
    now: () => 0,
    sleep: (_ms: number, signal?: AbortSignal) =>
      new Promise<void>((_r, reject) => signal?.addEventListener('abort', () => reject(new DOMException('x', 'AbortError')))),
  };
  const rl = new RateLimiter(1, clock);
  await rl.take();
  const p = rl.take(ac.signal);
  ac.abort();
  await assert.rejects(p, (e: unknown) => isFerryError(e, 'ABORTED'));
});
