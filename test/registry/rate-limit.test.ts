import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRateLimit, RESET_EPOCH_THRESHOLD, type RateLimitInfo } from '../../src/registry/rate-limit.js';

const now = 1_700_000_000_000;
const cases: Array<{ name: string; headers: Record<string, string | string[] | undefined>; want: RateLimitInfo | undefined }> = [
  { name: 'no headers = no limit', headers: {}, want: undefined },
  { name: 'unrelated headers', headers: { 'content-type': 'application/json' }, want: undefined },
  {
    name: 'docker hub anonymous',
    headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600', 'docker-ratelimit-source': '192.0.2.1' },
    want: { limit: 100, remaining: 76, windowSeconds: 21600, source: '192.0.2.1' },
  },
  {
    name: 'mixed-case names',
    headers: { 'RateLimit-Limit': '200;w=21600', 'RATELIMIT-REMAINING': '0;w=21600', 'Docker-RateLimit-Source': ' acct-id ' },
    want: { limit: 200, remaining: 0, windowSeconds: 21600, source: 'acct-id' },
  },
  {
    name: 'no window',
    headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': '99' },
    want: { limit: 100, remaining: 99 },
  },
  {
    name: 'IETF draft list form',
    headers: { 'ratelimit-limit': '100, 100;w=60', 'ratelimit-remaining': '50' },
    want: { limit: 100, remaining: 50, windowSeconds: 60 },
  },
  {
    name: 'array values: first one',
    headers: { 'ratelimit-limit': ['100;w=21600', '5'], 'ratelimit-remaining': ['7;w=21600'] },
    want: { limit: 100, remaining: 7, windowSeconds: 21600 },
  },
  {
    name: 'reset as delta seconds',
    headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'ratelimit-reset': '3600' },
    want: { limit: 100, remaining: 0, windowSeconds: 21600, resetAtMs: now + 3_600_000 },
  },
  {
    name: 'reset as epoch seconds',
    headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': '1700003600' },
    want: { limit: 100, remaining: 0, resetAtMs: 1_700_003_600_000 },
  },
  {
    name: 'reset just below threshold is a delta',
    headers: { 'ratelimit-limit': '1', 'ratelimit-remaining': '1', 'ratelimit-reset': String(RESET_EPOCH_THRESHOLD - 1) },
    want: { limit: 1, remaining: 1, resetAtMs: now + (RESET_EPOCH_THRESHOLD - 1) * 1000 },
  },
  {
    name: 'invalid reset ignored',
    headers: { 'ratelimit-limit': '1', 'ratelimit-remaining': '1', 'ratelimit-reset': 'soon' },
    want: { limit: 1, remaining: 1 },
  },
  { name: 'only limit', headers: { 'ratelimit-limit': '100;w=21600' }, want: undefined },
  { name: 'only remaining', headers: { 'ratelimit-remaining': '100;w=21600' }, want: undefined },
  { name: 'non-numeric', headers: { 'ratelimit-limit': 'lots', 'ratelimit-remaining': '1' }, want: undefined },
  { name: 'negative', headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': '-1' }, want: undefined },
  { name: 'empty values', headers: { 'ratelimit-limit': '', 'ratelimit-remaining': undefined }, want: undefined },
  {
    name: 'window from remaining when limit lacks it',
    headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': '3;w=21600' },
    want: { limit: 100, remaining: 3, windowSeconds: 21600 },
  },
];
for (const c of cases) {
  test(`parseRateLimit: ${c.name}`, () => assert.deepEqual(parseRateLimit(c.headers, now), c.want));
}

test('parseRateLimit: from fetch Headers via Object.fromEntries (lower-cased keys)', () => {
  const h = new Headers({ 'RateLimit-Limit': '100;w=21600', 'RateLimit-Remaining': '76;w=21600' });
  assert.deepEqual(parseRateLimit(Object.fromEntries(h), now), { limit: 100, remaining: 76, windowSeconds: 21600 });
});
