/**
 * Docker Hub pull rate-limit headers (registry-protocol.md §3.2):
 *
 *     ratelimit-limit: 100;w=21600
 *     ratelimit-remaining: 76;w=21600
 *     docker-ratelimit-source: 192.0.2.1
 *     ratelimit-reset: 3600            (optional, read by regclient)
 *
 * No headers means no limit applies to this image/user.
 */

export interface RateLimitInfo {
  /** pulls allowed per window */
  limit: number;
  /** pulls left in the current window */
  remaining: number;
  /** window length (`w=`), seconds */
  windowSeconds?: number;
  /** what the limit is charged to (an IP or account), from `docker-ratelimit-source` */
  source?: string;
  /** when the window resets, epoch ms, from `ratelimit-reset` */
  resetAtMs?: number;
}

/**
 * `ratelimit-reset` values at or above this are epoch seconds (2001-09-09); smaller ones are seconds from now.
 * Windows last hours, so a delta never comes near it, and no epoch timestamp of this century falls below it.
 */
export const RESET_EPOCH_THRESHOLD = 1_000_000_000;

type HeaderBag = Record<string, string | string[] | undefined>;

/** Case-insensitive header lookup; the first value of an array. */
function header(headers: HeaderBag, name: string): string | undefined {
  // every response passes through here: look the name up directly (transports give lower-case names), and
  // walk the keys without allocating only when a caller's bag has other spellings
  const direct = firstValue(headers[name]);
  if (direct !== undefined) return direct;
  for (const k in headers) {
    if (k.length !== name.length || k === name || k.toLowerCase() !== name) continue;
    const s = firstValue(headers[k]);
    if (s !== undefined) return s;
  }
  return undefined;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

/**
 * `100;w=21600` → { value: 100, window: 21600 }. Tolerates the IETF draft's list form `100, 100;w=21600`
 * (first item is the quota, the window comes from the first item that has `w=`).
 */
function parseQuota(s: string): { value: number; window?: number } | undefined {
  const items = s.split(',').map((x) => x.trim());
  const first = items[0] ?? '';
  const num = (first.split(';')[0] ?? '').trim();
  if (!/^\d+$/.test(num)) return undefined;
  const value = Number(num);
  let window: number | undefined;
  for (const item of items) {
    const m = /;\s*w\s*=\s*(\d+)/i.exec(item);
    if (m) {
      window = Number(m[1]);
      break;
    }
  }
  return window === undefined ? { value } : { value, window };
}

/**
 * Reads the rate-limit headers; undefined (= no limit) unless both `ratelimit-limit` and `ratelimit-remaining`
 * hold a number. Header names are matched case-insensitively.
 *
 * `ratelimit-reset` rule: an integer ≥ {@link RESET_EPOCH_THRESHOLD} is epoch seconds, a smaller one is seconds
 * until the reset (counted from `nowMs`); anything else is ignored.
 */
export function parseRateLimit(headers: HeaderBag, nowMs: number): RateLimitInfo | undefined {
  const limitH = header(headers, 'ratelimit-limit');
  const remainingH = header(headers, 'ratelimit-remaining');
  if (limitH === undefined || remainingH === undefined) return undefined;
  const limit = parseQuota(limitH);
  const remaining = parseQuota(remainingH);
  if (!limit || !remaining) return undefined;

  const info: RateLimitInfo = { limit: limit.value, remaining: remaining.value };
  const window = limit.window ?? remaining.window;
  if (window !== undefined) info.windowSeconds = window;

  const source = header(headers, 'docker-ratelimit-source');
  if (source !== undefined) info.source = source;

  const resetH = header(headers, 'ratelimit-reset');
  const reset = resetH === undefined ? undefined : (resetH.split(';')[0] ?? '').trim();
  if (reset !== undefined && /^\d+$/.test(reset)) {
    const n = Number(reset);
    info.resetAtMs = n >= RESET_EPOCH_THRESHOLD ? n * 1000 : nowMs + n * 1000;
  }
  return info;
}
