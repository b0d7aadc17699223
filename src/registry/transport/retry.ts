/**
 * Retry helpers: `Retry-After` parsing, exponential backoff with full jitter, and which HTTP statuses to retry.
 * Pure functions: the caller supplies the clock (`nowMs`) and the random source.
 */

/** How often and how long to retry. `attempts` counts the first try too. */
export interface BackoffPolicy {
  /** total attempts, including the first (so `attempts - 1` retries) */
  attempts: number;
  /** ceiling of the first retry's delay */
  baseMs: number;
  /** no delay exceeds this */
  maxMs: number;
}

/** 5 attempts in total, delays drawn from [0, 500 ms), [0, 1 s), [0, 2 s), [0, 4 s), never above 30 s. */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ attempts: 5, baseMs: 500, maxMs: 30_000 });

const DELAY_SECONDS = /^\d+(?:\.\d+)?$/;
/** IMF-fixdate / RFC 850 (`Sun, 06 Nov 1994 …`, `Sunday, 06-Nov-94 …`) or asctime (`Sun Nov  6 08:49:37 1994`). */
const HTTP_DATE = /^[A-Za-z]{3,9}, \d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * The delay a `Retry-After` value asks for, in ms: delay-seconds or an HTTP-date relative to `nowMs`.
 * A date in the past gives 0. Undefined when absent, negative or unparsable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (DELAY_SECONDS.test(v)) {
    const ms = Math.round(Number(v) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  let when: number;
  if (HTTP_DATE.test(v)) when = Date.parse(v);
  else if (ASCTIME.test(v)) when = Date.parse(`${v} GMT`); // asctime carries no zone; HTTP dates are GMT
  else return undefined;
  if (!Number.isFinite(when)) return undefined;
  return Math.max(0, when - nowMs);
}

/**
 * The delay before retry number `attempt` (1-based): a uniform draw from [0, min(maxMs, baseMs · 2^(attempt-1)))
 * ("full jitter"). `random` returns values in [0, 1), like `Math.random`; out-of-range values are clamped.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const ceiling = Math.max(0, Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1)));
  let r = random();
  if (!(r >= 0)) r = 0; // also catches NaN
  if (r > 1) r = 1;
  return Math.min(Math.floor(r * ceiling), policy.maxMs);
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** 408, 429, 500, 502, 503 and 504 are worth retrying (for idempotent or restartable requests only). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}
