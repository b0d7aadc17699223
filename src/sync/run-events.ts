import type { Digest } from '../ref/digest.js';
import type { BudgetSnapshot as PullBudgetState } from '../registry/budget/pull-budget.js';
import type { CopyEvent } from './events.js';

/** What happened to one image (one source tag or digest → one target reference) in a task run. */
export type ImageAction = 'copied' | 'up-to-date' | 'failed' | 'skipped' | 'waiting';

export interface ImageReport {
  task: string;
  /** index of the mapping in the task, and its `from` as written */
  mapping: number;
  source: string;
  target: string;
  action: ImageAction;
  /** why: "already up to date", "filtered out by keep", the error message, "waiting for Docker Hub budget" … */
  reason?: string;
  sourceDigest?: Digest;
  targetDigest?: Digest;
  bytes: number;
  durationMs: number;
  /** source manifest GETs spent (Docker Hub pulls) */
  pulls: number;
  errorCode?: string;
}

/** The counts of one task run: images by outcome, blob bytes moved, source manifest GETs (Hub pulls). */
export interface RunCounts {
  copied: number;
  upToDate: number;
  failed: number;
  skipped: number;
  bytes: number;
  pulls: number;
}

/** Just the counts of a summary (or anything carrying them), for views that copy them. */
export function runCounts(s: RunCounts): RunCounts {
  return { copied: s.copied, upToDate: s.upToDate, failed: s.failed, skipped: s.skipped, bytes: s.bytes, pulls: s.pulls };
}

export interface TaskRunSummary extends RunCounts {
  task: string;
  /** source manifest GETs the `planned` line counted (`pulls` is what was spent) */
  pullsPlanned?: number;
  /** `pullsPlanned` was a floor: some index was not read yet when planning ended */
  pullsPlannedAtLeast?: boolean;
  /** the account the source's pulls were charged to, when its registry lists several (`registries.*.credentials`) */
  pullIdentity?: string;
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  error?: string;
}

/** A pull budget as the status page and metrics show it: the budget module's state, plus a wait's end. */
export type BudgetSnapshot = Pick<PullBudgetState, 'registry' | 'identity' | 'limit' | 'remaining' | 'windowSeconds' | 'resetAtMs' | 'reserve' | 'waitingSinceMs' | 'nextCheckAtMs'> & {
  /** copies are waiting for the budget until then at the latest (epoch ms); `nextCheckAtMs` may end it sooner */
  waitingUntilMs?: number;
};

/** The run-level view of a budget module state (undefined fields dropped). */
export function budgetSnapshot(s: PullBudgetState, waitingUntilMs?: number): BudgetSnapshot {
  const out: BudgetSnapshot = { registry: s.registry, identity: s.identity, reserve: s.reserve };
  if (s.limit !== undefined) out.limit = s.limit;
  if (s.remaining !== undefined) out.remaining = s.remaining;
  if (s.windowSeconds !== undefined) out.windowSeconds = s.windowSeconds;
  if (s.resetAtMs !== undefined) out.resetAtMs = s.resetAtMs;
  if (waitingUntilMs !== undefined) {
    out.waitingUntilMs = waitingUntilMs;
    if (s.waitingSinceMs !== undefined) out.waitingSinceMs = s.waitingSinceMs;
    if (s.nextCheckAtMs !== undefined) out.nextCheckAtMs = s.nextCheckAtMs;
  }
  return out;
}

/**
 * Events of the sync runner and scheduler, for logs, metrics, the status page and the run report.
 * The engine's per-image CopyEvents are forwarded inside `copy` events with their task and image.
 */
export type SyncEvent =
  /** `tasks`: the tasks selected to run (`-run`); `configured`: every task in the file (default: `tasks`) */
  | { type: 'config-loaded'; file: string; tasks: string[]; configured?: string[] }
  | { type: 'scheduler-started' }
  | { type: 'scheduler-stopped' }
  | { type: 'task-scheduled'; task: string; nextRunAt: number }
  | { type: 'task-started'; task: string; at: number }
  | { type: 'task-planned'; task: string; images: number; toCopy: number; pullsNeeded: number; pullsEstimated?: boolean; budget?: BudgetSnapshot }
  /** the planned pulls, corrected as a copy read an index (after `task-planned`); `pullsEstimated`: still "at least" */
  | { type: 'task-pulls'; task: string; pullsNeeded: number; pullsEstimated?: boolean }
  | { type: 'image-started'; task: string; source: string; target: string }
  | { type: 'image-finished'; report: ImageReport }
  | { type: 'task-finished'; summary: TaskRunSummary }
  | { type: 'task-skipped'; task: string; reason: string }
  | { type: 'budget'; snapshot: BudgetSnapshot }
  | { type: 'copy'; task: string; source: string; target: string; event: CopyEvent };

export type SyncEventListener = (e: SyncEvent) => void;

/** A tiny synchronous fan-out; a throwing listener never breaks the sync. */
export class SyncEventBus {
  private readonly listeners = new Set<SyncEventListener>();
  on(l: SyncEventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: SyncEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* observers must not break the sync */
      }
    }
  }
}
