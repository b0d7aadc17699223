import { safeText } from '../safe-text.js';
import type { RunProjection } from '../sync/run-projection.js';
import type { BudgetStatus, BudgetView, CopyInFlight, FinishedRun, ImageError, MappingStatus, PlannedRun } from '../sync/run-state.js';
import type { RunCounts } from '../sync/run-events.js';

export type { BudgetStatus, CopyInFlight, ImageError, MappingStatus } from '../sync/run-state.js';

/** Error text shown in `/status` is one line of at most this many characters (it often quotes a registry). */
export const MAX_STATUS_ERROR = 300;

/** A task's last finished run as `/status` shows it (its texts cut to one line of MAX_STATUS_ERROR). */
export type LastRun = Omit<FinishedRun, 'filteredOut'>;

export interface CurrentRun {
  startedAt: number;
  /**
   * `pullsNeeded` is corrected as copies read their manifests and as they finish (then it counts what they spent);
   * `pullsEstimated`: it is still "at least"
   */
  planned?: PlannedRun;
  /** source manifest GETs spent by the images finished so far */
  pullsSpent: number;
  /** images finished so far */
  done: number;
  /** images failed so far, and mappings or repositories that could not be listed (as the last run's `failed`) */
  failed: number;
}

export interface TaskStatus {
  name: string;
  state: 'idle' | 'running';
  lastRun?: LastRun;
  lastSuccessAt?: number;
  currentRun?: CurrentRun;
  nextRunAt?: number;
  lastSkip?: { at: number; reason: string };
  budget?: BudgetView;
  inFlight: CopyInFlight[];
}

export interface StatusSnapshot {
  generatedAt: number;
  configFile?: string;
  configLoaded: boolean;
  schedulerRunning: boolean;
  tasks: TaskStatus[];
  budgets: BudgetStatus[];
  copiesInFlight: number;
}

/**
 * What the status page and `/status` show: the run projection's state (kept from sync events only, never from
 * logs), with its text made safe to show.
 */
export class StatusStore {
  constructor(private readonly projection: RunProjection) {}

  get ready(): boolean {
    return this.projection.ready;
  }

  snapshot(): StatusSnapshot {
    const st = this.projection.state;
    const tasks = [...st.tasks.values()].map((t): TaskStatus => {
      const out: TaskStatus = {
        name: t.name,
        state: t.current ? 'running' : 'idle',
        inFlight: [...t.inFlight.values()].map(({ source, target, startedAt, bytes, totalBytes }) => ({ source, target, startedAt, bytes, totalBytes })),
      };
      if (t.lastRun) out.lastRun = lastRun(t.lastRun);
      if (t.lastSuccessAt !== undefined) out.lastSuccessAt = t.lastSuccessAt;
      const c = t.current;
      if (c) out.currentRun = { startedAt: c.startedAt, ...(c.planned ? { planned: { ...c.planned } } : {}), pullsSpent: c.counts.pulls, done: c.done, failed: c.counts.failed };
      if (t.nextRunAt !== undefined) out.nextRunAt = t.nextRunAt;
      if (t.lastSkip) out.lastSkip = { at: t.lastSkip.at, reason: safeText(t.lastSkip.reason, MAX_STATUS_ERROR) };
      if (t.budget) out.budget = { ...t.budget };
      return out;
    });
    const snap: StatusSnapshot = {
      generatedAt: this.projection.time(),
      configLoaded: st.configLoaded,
      schedulerRunning: st.schedulerRunning,
      tasks,
      budgets: [...st.budgets.values()].map((b) => ({ ...b })),
      copiesInFlight: tasks.reduce((n, t) => n + t.inFlight.length, 0),
    };
    if (st.configFile !== undefined) snap.configFile = st.configFile;
    return snap;
  }
}

function lastRun(r: FinishedRun): LastRun {
  const out: LastRun = {
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    result: r.result,
    copied: r.copied,
    upToDate: r.upToDate,
    failed: r.failed,
    skipped: r.skipped,
    bytes: r.bytes,
    pulls: r.pulls,
    errors: r.errors.map((e) => ({ ...e, message: safeText(e.message, MAX_STATUS_ERROR) })),
    mappings: r.mappings.map((m) => ({ ...m })),
  };
  if (r.error !== undefined) out.error = safeText(r.error, MAX_STATUS_ERROR);
  if (r.pullsPlanned !== undefined) out.pullsPlanned = r.pullsPlanned;
  if (r.pullsPlannedAtLeast) out.pullsPlannedAtLeast = true;
  return out;
}
