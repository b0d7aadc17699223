/**
 * Docker Hub's pull budget, tracked per registry and identity (registry-protocol.md §3.2).
 *
 * The budget learns from every manifest response (`observe`, fed by the client's `onExchange`): the
 * `ratelimit-*` headers, or a 429 without Retry-After, which on Hub means "quota spent". Before each manifest
 * GET a copy calls `acquire` (wired through the client's `ManifestGate`, see `gate`): below the reserve it
 * waits — it never fails. While it waits it re-reads the budget with a free HEAD on a back-off schedule
 * (recheck.ts), and resumes as soon as a report shows budget; the reset time (or Retry-After, else one window)
 * only bounds the wait from above. No headers means no limit: nothing ever waits for a registry that sends none.
 */
import { FerryError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { systemClock, type Clock } from '../../clock.js';
import type { Exchange, ManifestGate, PullInfo } from '../client.js';
import { parseRateLimit } from '../rate-limit.js';
import { parseRetryAfter } from '../transport/retry.js';
import { logBudgetEvent } from './budget-log.js';
import { ANONYMOUS, DEFAULT_RESERVE, type BudgetEvent, type BudgetEventBody, type BudgetSnapshot, type BudgetState as State } from './budget-state.js';
import { DEFAULT_RECHECK, recheckDelay, type BudgetProbe, type RecheckSchedule } from './recheck.js';

export { ANONYMOUS, DEFAULT_RESERVE, type BudgetEvent, type BudgetSnapshot } from './budget-state.js';

export interface PullBudgetOptions {
  clock?: Clock;
  logger?: Logger;
  /** pulls kept in reserve, per source registry (default 0: a run whose pulls fit in what is left never waits) */
  reserve?: Record<string, number>;
  /** when a paused budget is re-read with a free HEAD (default {@link DEFAULT_RECHECK}: 1 min, growing to 10) */
  recheck?: RecheckSchedule;
  /** wait after a 429 when neither a window nor a reset time is known (default 15 min) */
  unknownWindowMs?: number;
  /** waits, re-checks, resumptions and exhaustions, each with the budget as it stands after it (default: logged to `logger`) */
  onEvent?: (e: BudgetEvent) => void;
}

const key = (registry: string, identity: string): string => `${registry}\u0000${identity}`;

export class PullBudget {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #reserve: Record<string, number>;
  readonly #unknownWindowMs: number;
  readonly #recheck: RecheckSchedule;
  readonly #onEvent: (e: BudgetEvent) => void;
  readonly #states = new Map<string, State>();

  constructor(o: PullBudgetOptions = {}) {
    this.#clock = o.clock ?? systemClock;
    this.#logger = o.logger ?? silentLogger;
    this.#reserve = o.reserve ?? {};
    this.#unknownWindowMs = o.unknownWindowMs ?? 15 * 60_000;
    this.#recheck = o.recheck ?? DEFAULT_RECHECK;
    this.#onEvent = o.onEvent ?? ((e) => logBudgetEvent(this.#logger, e));
  }

  /** An `onExchange` for a client that speaks as `identity` (a username; `anonymous` without credentials). */
  observer(identity = ANONYMOUS): (e: Exchange) => void {
    return (e) => this.observe(e, identity);
  }

  /**
   * The client hook: wait for budget before each manifest GET, and wait again after Hub's 429. `probe` re-reads
   * the budget while waiting (a free HEAD of the manifest about to be pulled, see connectBudgeted).
   */
  gate(identity = ANONYMOUS, probe?: (info: PullInfo, signal?: AbortSignal) => Promise<void>): ManifestGate {
    return {
      beforePull: (info: PullInfo, signal?: AbortSignal) => this.acquire(info.registry, 1, { identity, signal, ...(probe ? { probe: (sig) => probe(info, sig) } : {}) }),
      onRateLimited: (info: PullInfo, err: FerryError) => {
        this.exhausted(info.registry, identity, err.context.retryAfterMs, err.message);
        return true;
      },
    };
  }

  /** Learns from one response: rate-limit headers on manifest responses, and Hub's 429. */
  observe(e: Exchange, identity = ANONYMOUS): void {
    if (e.kind !== 'manifest') return;
    const now = this.#clock.now();
    const info = parseRateLimit(e.headers, now);
    let s = this.#states.get(key(e.registry, identity));
    if (!s && !info && e.status !== 429) return; // no headers, no limit
    s ??= this.#state(e.registry, identity);
    if (e.method === 'GET' && s.pending > 0) s.pending--;
    if (info) {
      s.limit = info.limit;
      s.reported = info.remaining;
      if (info.windowSeconds !== undefined) s.windowSeconds = info.windowSeconds;
      if (info.source !== undefined) s.source = info.source;
      if (info.resetAtMs !== undefined) {
        s.resetAtMs = info.resetAtMs;
        // a reset time is an upper bound on a pause: an earlier one than expected shortens it
        if (s.exhaustedUntil !== undefined && info.resetAtMs > now && info.resetAtMs < s.exhaustedUntil) s.exhaustedUntil = info.resetAtMs;
      }
    }
    if (e.status === 429) {
      const ra = e.headers['retry-after'];
      const after = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, now);
      this.exhausted(e.registry, identity, after, `HTTP 429 on ${e.method} ${e.url.replace(/\?.*$/, '')}`);
      return;
    }
    // A fresh report of budget above the reserve ends an exhaustion early (the window refilled).
    if (info && s.exhaustedUntil !== undefined && info.remaining - s.pending > this.reserveFor(s.registry)) s.exhaustedUntil = s.pausedSince = undefined;
    this.#notify(s);
  }

  /** Marks the budget spent until `retryAfterMs` from now, else the reset time, else one window. */
  exhausted(registry: string, identity: string, retryAfterMs: number | undefined, reason: string): void {
    const s = this.#state(registry, identity);
    const now = this.#clock.now();
    const until = retryAfterMs !== undefined ? now + retryAfterMs : this.#resumeAt(s, now);
    if (s.exhaustedUntil !== undefined && s.exhaustedUntil >= until) return;
    if (s.exhaustedUntil === undefined || now >= s.exhaustedUntil) this.#newPause(s, now);
    s.exhaustedUntil = until;
    s.reported = 0;
    this.#emit(s, { type: 'budget-exhausted', registry, identity, resumeAtMs: until, reason });
    this.#notify(s);
  }

  /**
   * Waits until `n` manifest GETs can be spent on `registry` without dropping below the reserve, then counts
   * them as started. Resolves at once for registries that report no limit. Rejects only when `signal` aborts.
   * With a `probe`, a wait re-reads the budget on the recheck schedule and resumes as soon as it allows; the
   * reset time, Retry-After or one window only bound the wait from above.
   */
  async acquire(registry: string, n = 1, o: { identity?: string; signal?: AbortSignal; probe?: BudgetProbe } = {}): Promise<void> {
    const s = this.#states.get(key(registry, o.identity ?? ANONYMOUS));
    if (!s) return;
    let waited = false;
    for (;;) {
      if (o.signal?.aborted) throw new FerryError('ABORTED', 'operation aborted', { registry }, { cause: o.signal.reason });
      const now = this.#clock.now();
      if (s.exhaustedUntil !== undefined && now >= s.exhaustedUntil) {
        // The window should have refilled: assume a full budget until the next response says otherwise.
        s.exhaustedUntil = s.pausedSince = undefined;
        s.reported = s.limit;
        s.pending = 0;
        s.resetAtMs = undefined;
      }
      const reserve = this.reserveFor(registry);
      const need = s.limit === undefined ? n : Math.min(n, Math.max(1, s.limit - reserve));
      const left = s.reported === undefined ? undefined : s.reported - s.pending;
      if (s.exhaustedUntil === undefined && (left === undefined || left - need >= reserve)) {
        s.pending += n;
        if (waited) this.#resumed(s, now);
        return;
      }
      const resumeAtMs = s.exhaustedUntil ?? this.#resumeAt(s, now);
      if (s.exhaustedUntil === undefined) {
        s.exhaustedUntil = resumeAtMs;
        this.#newPause(s, now);
      }
      if (o.probe && s.nextCheckAt === undefined) s.nextCheckAt = Math.min(resumeAtMs, now + recheckDelay(s.checks, this.#recheck));
      if (s.waitingSince === undefined) this.#paused(s, now, left, reserve, resumeAtMs);
      waited = true;
      if (o.probe && s.nextCheckAt !== undefined && now >= s.nextCheckAt) {
        await this.#check(s, o.probe, o.signal);
        continue;
      }
      await this.#sleepUntil(s, Math.min(resumeAtMs, s.nextCheckAt ?? Infinity), o.signal);
    }
  }

  /** The reserve kept on `registry` (configured `pull-reserve`, else {@link DEFAULT_RESERVE}). */
  reserveFor(registry: string): number {
    return this.#reserve[registry] ?? DEFAULT_RESERVE;
  }

  /** What is known of the budget of `registry` for `identity`; undefined when it reported no limit. */
  state(registry: string, identity = ANONYMOUS): BudgetSnapshot | undefined {
    const s = this.#states.get(key(registry, identity));
    return s && this.#snapshot(s);
  }

  /** Every budget known, for logs, metrics and the status page. */
  snapshot(): BudgetSnapshot[] {
    return [...this.#states.values()].map((s) => this.#snapshot(s));
  }

  /**
   * Of several identities for one registry, the one with most budget left (unknown counts as unlimited, so an
   * unused credential is tried); ties keep the given order.
   */
  pick(registry: string, identities: readonly string[]): string {
    if (identities.length === 0) throw new FerryError('CONFIG_INVALID', `no credentials to choose from for registry ${registry}`, { registry });
    const now = this.#clock.now();
    const score = (id: string): number => {
      const s = this.#states.get(key(registry, id));
      if (!s || s.reported === undefined) return s?.exhaustedUntil !== undefined && now < s.exhaustedUntil ? -Infinity : Infinity;
      if (s.exhaustedUntil !== undefined && now < s.exhaustedUntil) return -Infinity;
      return s.reported - s.pending;
    };
    let best = identities[0] as string;
    for (const id of identities) if (score(id) > score(best)) best = id;
    return best;
  }

  #state(registry: string, identity: string): State {
    const k = key(registry, identity);
    let s = this.#states.get(k);
    if (!s) this.#states.set(k, (s = { registry, identity, pending: 0, checks: 0, waiters: 0, wake: new Set() }));
    return s;
  }

  #resumeAt(s: State, now: number): number {
    if (s.resetAtMs !== undefined && s.resetAtMs > now) return s.resetAtMs;
    return now + (s.windowSeconds !== undefined ? s.windowSeconds * 1000 : this.#unknownWindowMs);
  }

  /** A pause begins: its own back-off, even when waiters of the last one gave up (aborted) before it ended. */
  #newPause(s: State, now: number): void {
    s.pausedSince = now;
    s.waitingSince = undefined;
    s.nextCheckAt = undefined;
    s.checks = 0;
  }

  #paused(s: State, now: number, left: number | undefined, reserve: number, resumeAtMs: number): void {
    s.waitingSince = now;
    const next = s.nextCheckAt;
    this.#emit(s, {
      type: 'budget-wait',
      registry: s.registry,
      identity: s.identity,
      ...(left !== undefined ? { remaining: left } : {}),
      ...(s.limit !== undefined ? { limit: s.limit } : {}),
      reserve,
      resumeAtMs,
      ...(next !== undefined ? { nextCheckAtMs: next } : {}),
    });
  }

  /** Re-reads a paused budget (one probe at a time, shared by every waiter), then schedules the next check. */
  async #check(s: State, probe: BudgetProbe, signal?: AbortSignal): Promise<void> {
    s.checking ??= (async () => {
      try {
        await probe(signal);
      } catch (e) {
        this.#logger.debug({ registry: s.registry, identity: s.identity, error: e instanceof Error ? e.message : String(e) }, 'pull budget re-check failed');
      }
      s.checks++;
      const now = this.#clock.now();
      s.checking = undefined;
      if (s.exhaustedUntil === undefined || s.waitingSince === undefined) return;
      s.nextCheckAt = Math.min(s.exhaustedUntil, now + recheckDelay(s.checks, this.#recheck));
      const remaining = s.reported === undefined ? undefined : Math.max(0, s.reported - s.pending);
      this.#emit(s, { type: 'budget-check', registry: s.registry, identity: s.identity, ...(remaining !== undefined ? { remaining } : {}), resumeAtMs: s.exhaustedUntil, nextCheckAtMs: s.nextCheckAt });
    })();
    await s.checking;
  }

  #resumed(s: State, now: number): void {
    if (s.waitingSince === undefined) return;
    const waitedMs = now - s.waitingSince;
    s.waitingSince = undefined;
    s.nextCheckAt = undefined;
    s.checks = 0;
    const remaining = s.reported === undefined ? undefined : s.reported - s.pending;
    this.#emit(s, { type: 'budget-resume', registry: s.registry, identity: s.identity, waitedMs, ...(remaining !== undefined ? { remaining } : {}) });
  }

  #emit(s: State, e: BudgetEventBody): void {
    this.#onEvent({ ...e, budget: this.#snapshot(s) } as BudgetEvent);
  }

  #notify(s: State): void {
    for (const w of [...s.wake]) w();
  }

  async #sleepUntil(s: State, at: number, signal?: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const wake = (): void => ac.abort();
    s.wake.add(wake);
    s.waiters++;
    signal?.addEventListener('abort', wake, { once: true });
    try {
      await this.#clock.sleep(Math.max(0, at - this.#clock.now()), ac.signal);
    } catch {
      /* woken early by a new report, or aborted (checked by the caller's loop) */
    } finally {
      s.wake.delete(wake);
      s.waiters--;
      signal?.removeEventListener('abort', wake);
    }
  }

  #snapshot(s: State): BudgetSnapshot {
    const now = this.#clock.now();
    const exhausted = s.exhaustedUntil !== undefined && now < s.exhaustedUntil;
    const resetAtMs = exhausted ? s.exhaustedUntil : s.resetAtMs;
    return {
      registry: s.registry,
      identity: s.identity,
      ...(s.limit !== undefined ? { limit: s.limit } : {}),
      ...(s.reported !== undefined ? { remaining: Math.max(0, s.reported - s.pending) } : {}),
      ...(s.windowSeconds !== undefined ? { windowSeconds: s.windowSeconds } : {}),
      ...(s.source !== undefined ? { source: s.source } : {}),
      ...(resetAtMs !== undefined ? { resetAtMs } : {}),
      reserve: this.reserveFor(s.registry),
      ...(exhausted && s.pausedSince !== undefined ? { waitingSinceMs: s.pausedSince } : {}),
      ...(exhausted && s.waitingSince !== undefined && s.nextCheckAt !== undefined ? { nextCheckAtMs: s.nextCheckAt } : {}),
      ...(exhausted ? { waitingUntilMs: s.exhaustedUntil } : {}),
      waiting: s.waiters,
      exhausted,
    };
  }
}
