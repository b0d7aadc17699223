import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfter, backoffDelay, isRetryableStatus, DEFAULT_BACKOFF, type BackoffPolicy } from '../../src/registry/transport/retry.js';

const now = Date.parse('2015-10-21T07:28:00Z');
const retryAfterCases: Array<[string | undefined, number | undefined]> = [
  [undefined, undefined],
  ['', undefined],
  ['  ', undefined],
  ['0', 0],
  ['120', 120_000],
  [' 5 ', 5000],
  ['1.5', 1500],
  ['-5', undefined],
  ['abc', undefined],
  ['2024', 2_024_000],
  ['Wed, 21 Oct 2015 07:28:30 GMT', 30_000],
  ['Wednesday, 21-Oct-15 07:29:00 GMT', 60_000],
  ['Wed Oct 21 07:28:10 2015', 10_000],
  ['Wed, 21 Oct 2015 07:00:00 GMT', 0],
  ['Wed, 32 Foo 2015 07:00:00 GMT', undefined],
  ['2015-10-21T07:29:00Z', undefined],
];
for (const [v, want] of retryAfterCases) {
  test(`parseRetryAfter(${JSON.stringify(v)}) = ${want}`, () => assert.equal(parseRetryAfter(v, now), want));
}

test('DEFAULT_BACKOFF', () => {
  assert.deepEqual({ ...DEFAULT_BACKOFF }, { attempts: 5, baseMs: 500, maxMs: 30_000 });
  assert.ok(Object.isFrozen(DEFAULT_BACKOFF));
});

const p: BackoffPolicy = { attempts: 10, baseMs: 100, maxMs: 1000 };
const backoffCases: Array<[number, number, number]> = [
  // attempt, random, expected
  [1, 0, 0],
  [1, 0.5, 50],
  [1, 0.999, 99],
  [2, 0.5, 100],
  [3, 0.5, 200],
  [4, 0.999, 799],
  [5, 0.999, 999], // capped at 1000
  [50, 0.5, 500],
  [5000, 0.5, 500], // 2**4999 is Infinity: still capped
  [0, 0.5, 50], // treated as first retry
  [-3, 0.5, 50],
  [2, 1.7, 200], // random clamped to 1
  [2, -1, 0],
  [2, Number.NaN, 0],
];
for (const [attempt, r, want] of backoffCases) {
  test(`backoffDelay(${attempt}, random=${r}) = ${want}`, () => assert.equal(backoffDelay(attempt, p, () => r), want));
}

test('backoffDelay stays within [0, cap) with Math.random', () => {
  for (let a = 1; a <= 20; a++) {
    const d = backoffDelay(a, DEFAULT_BACKOFF, Math.random);
    assert.ok(d >= 0 && d <= DEFAULT_BACKOFF.maxMs && Number.isInteger(d));
  }
});

const statusCases: Array<[number, boolean]> = [
  [408, true], [429, true], [500, true], [502, true], [503, true], [504, true],
  [200, false], [400, false], [401, false], [403, false], [404, false], [413, false], [501, false], [505, false],
];
for (const [s, want] of statusCases) {
  test(`isRetryableStatus(${s}) = ${want}`, () => assert.equal(isRetryableStatus(s), want));
}
