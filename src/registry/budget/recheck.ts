/**
 * While a pull budget is paused (at its reserve, or after Hub's 429), ferry re-reads it with a free manifest HEAD
 * on a back-off schedule: Docker Hub's window rolls (pulls leave it one by one), so budget comes back long before
 * a reset time or a whole window has passed. The reset time and Retry-After only bound the wait from above.
 */

/** When to re-read a paused budget: `firstMs` after the pause, then doubling up to `maxMs` between checks. */
export interface RecheckSchedule {
  firstMs: number;
  maxMs: number;
}

/** About a minute, growing to ten: a few dozen free HEADs over a six-hour window. */
export const DEFAULT_RECHECK: RecheckSchedule = { firstMs: 60_000, maxMs: 600_000 };

/** The delay before check number `n` (0 = the first) of a pause: first × 2ⁿ, at most max. */
export function recheckDelay(n: number, s: RecheckSchedule = DEFAULT_RECHECK): number {
  const first = Math.max(1, s.firstMs);
  return Math.min(Math.max(first, s.maxMs), first * 2 ** Math.min(n, 30));
}

/** A free re-read of the budget: a manifest HEAD whose `ratelimit-*` headers reach the budget's observer. */
export type BudgetProbe = (signal?: AbortSignal) => Promise<void>;
