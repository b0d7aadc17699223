/**
 * The log line of each pull-budget event: what paused, until when, and what resumed. The run log writes them for a
 * sync (a subscriber of the run's bus); a PullBudget without an `onEvent` writes them itself, so a budget used on
 * its own (the library) is never silent about a pause.
 */
import type { Logger } from '../../log/logger.js';
import type { BudgetEvent } from './budget-state.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function logBudgetEvent(logger: Logger, e: BudgetEvent): void {
  switch (e.type) {
    case 'budget-wait': {
      const { registry, identity, remaining, limit, reserve, resumeAtMs, nextCheckAtMs: next } = e;
      const check = next !== undefined ? `next check ${iso(next)}, ` : '';
      logger.warn(
        { registry, identity, remaining, limit, reserve, windowSeconds: e.budget.windowSeconds, resumeAt: iso(resumeAtMs), ...(next !== undefined ? { nextCheckAt: iso(next) } : {}) },
        `pull budget of ${registry} ${remaining !== undefined && remaining > 0 ? 'at its reserve' : 'spent'}: manifest GETs paused (HEAD checks go on); ${check}resuming by ${iso(resumeAtMs)} at the latest`,
      );
      break;
    }
    case 'budget-check':
      logger.info(
        { registry: e.registry, identity: e.identity, remaining: e.remaining, nextCheckAt: iso(e.nextCheckAtMs), resumeAt: iso(e.resumeAtMs) },
        `pull budget of ${e.registry} re-checked: ${e.remaining ?? '?'} left, still paused; next check ${iso(e.nextCheckAtMs)}`,
      );
      break;
    case 'budget-resume':
      logger.info({ registry: e.registry, identity: e.identity, waitedMs: e.waitedMs, remaining: e.remaining }, 'pull budget available again: manifest GETs resume');
      break;
    case 'budget-exhausted':
      logger.warn({ registry: e.registry, identity: e.identity, resumeAt: iso(e.resumeAtMs), reason: e.reason }, 'pull budget exhausted: manifest GETs wait for it to refill');
      break;
  }
}
