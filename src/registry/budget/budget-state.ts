/** The pull budget's records: its public snapshot and events, and the state it keeps per (registry, identity). */

export const ANONYMOUS = 'anonymous';

/** What is known of one (registry, identity) budget. */
export interface BudgetSnapshot {
  registry: string;
  identity: string;
  /** pulls per window; undefined when only a 429 was seen */
  limit?: number;
  /** pulls left as last reported, minus the GETs ferry has started since */
  remaining?: number;
  windowSeconds?: number;
  /** what Hub charges (an IP or account), from docker-ratelimit-source */
  source?: string;
  /** when the budget is expected back at the latest (epoch ms): the reset header, else the window after it ran out */
  resetAtMs?: number;
  reserve: number;
  /** while paused: when the pause began, and (while copies wait) when ferry re-reads the budget next (a free HEAD) */
  waitingSinceMs?: number;
  nextCheckAtMs?: number;
  /** while paused: when the pause ends at the latest (epoch ms); `nextCheckAtMs` may end it sooner */
  waitingUntilMs?: number;
  /** copies waiting for this budget now */
  waiting: number;
  exhausted: boolean;
}

/**
 * What the budget does, as it happens; each event carries the budget as it stands after it (`budget`), so a
 * subscriber needs nothing else. `budget-check`: a paused budget was re-read and is still short.
 */
export type BudgetEvent = { registry: string; identity: string; budget: BudgetSnapshot } & (
  | { type: 'budget-wait'; remaining?: number; limit?: number; reserve: number; resumeAtMs: number; nextCheckAtMs?: number }
  | { type: 'budget-check'; remaining?: number; resumeAtMs: number; nextCheckAtMs: number }
  | { type: 'budget-resume'; waitedMs: number; remaining?: number }
  | { type: 'budget-exhausted'; resumeAtMs: number; reason: string }
);

/** A budget event before the budget's snapshot is attached to it. */
export type BudgetEventBody = BudgetEvent extends infer E ? (E extends unknown ? Omit<E, 'budget'> : never) : never;

/** The reserve of a registry without `pull-reserve`: none. Pulls that fit in what Hub reports left never wait. */
export const DEFAULT_RESERVE = 0;

/** What the budget keeps per (registry, identity); `BudgetSnapshot` is its public view. */
export interface BudgetState {
  registry: string;
  identity: string;
  limit?: number;
  reported?: number;
  windowSeconds?: number;
  source?: string;
  resetAtMs?: number;
  /** GETs started (acquired) whose response has not been observed yet */
  pending: number;
  /** set while ferry believes the budget is spent; cleared by the resume time or a report showing budget */
  exhaustedUntil?: number;
  /** when the current pause began (an exhaustion or a wait at the reserve): tells one pause from the next */
  pausedSince?: number;
  waitingSince?: number;
  /** the pause's next re-read (epoch ms), and how many it has had (the back-off step) */
  nextCheckAt?: number;
  checks: number;
  /** the re-read in flight, shared by every waiter */
  checking?: Promise<void>;
  waiters: number;
  wake: Set<() => void>;
}

