/**
 * The run's log lines that tell what a run and the pull budget did, as one more subscriber of the run's bus: the
 * budget's waits, re-checks, resumptions and exhaustions, and the line that ends each task run.
 */
import type { Logger } from '../log/logger.js';
import { logBudgetEvent } from '../registry/budget/budget-log.js';
import type { SyncEvent, SyncEventBus, TaskRunSummary } from './run-events.js';

/** Subscribes the run log to `bus`; returns the unsubscribe function. */
export function attachRunLog(bus: SyncEventBus, logger: Logger): () => void {
  return bus.on((e) => logRunEvent(logger, e), 'run log');
}

/** The log line of one event, if it has one. */
export function logRunEvent(logger: Logger, e: SyncEvent): void {
  switch (e.type) {
    case 'budget-wait':
    case 'budget-check':
    case 'budget-resume':
    case 'budget-exhausted':
      logBudgetEvent(logger, e);
      break;
    case 'task-finished':
      logTaskEnd(logger.child({ task: e.summary.task }), e.summary);
      break;
    default:
      break;
  }
}

/** `task done: 3 copied, 12 up to date, 0 failed`, with every count as fields (the counts are the run projection's). */
function logTaskEnd(log: Logger, s: TaskRunSummary): void {
  const fields = {
    copied: s.copied,
    upToDate: s.upToDate,
    failed: s.failed,
    skipped: s.skipped,
    filteredOut: s.filteredOut ?? 0,
    bytes: s.bytes,
    pulls: s.pulls,
    ...(s.pullsPlanned !== undefined ? { pullsPlanned: s.pullsPlanned } : {}),
    ...(s.pullsPlannedAtLeast ? { pullsPlannedAtLeast: true } : {}),
    durationMs: s.finishedAt - s.startedAt,
  };
  const counts = `${s.copied} copied, ${s.upToDate} up to date, ${s.failed} failed`;
  if (s.ok) log.info(fields, `task done: ${counts}`);
  else log.error(fields, `task had errors: ${counts}`);
}
