/** The state the run projection (run-projection.ts) keeps: everything the status page, metrics, progress and logs read. */
import type { BudgetSnapshot } from '../registry/budget/budget-state.js';
import type { RunCounts } from './run-events.js';

/** A pull budget as a run sees it: the budget's snapshot without what only holds at the instant it was taken. */
export type BudgetView = Omit<BudgetSnapshot, 'waiting' | 'exhausted' | 'source'>;

export interface BudgetStatus extends BudgetView {
  /** how often ferry has waited for this budget since it started (one per pause, however often it is re-checked) */
  waits: number;
  updatedAt: number;
}

export interface ImageError {
  mapping: number;
  source: string;
  target: string;
  message: string;
  code?: string;
}

export interface MappingStatus {
  mapping: number;
  copied: number;
  upToDate: number;
  failed: number;
  skipped: number;
  bytes: number;
}

export interface CopyInFlight {
  source: string;
  target: string;
  startedAt: number;
  /** bytes of its blobs moved so far, of the blobs it has started (`totalBytes`) */
  bytes: number;
  totalBytes: number;
}

export interface PlannedRun {
  images: number;
  toCopy: number;
  /** corrected as copies read their manifests and as they finish (then it counts what they spent) */
  pullsNeeded: number;
  /** `pullsNeeded` is still "at least" */
  pullsEstimated?: true;
}

/** A task run in progress. `counts.failed` includes mappings and repositories that could not be listed. */
export interface RunInProgress {
  startedAt: number;
  planned?: PlannedRun;
  /** tags listed but not selected (known when planning ended) */
  filteredOut: number;
  counts: RunCounts;
  /** images finished (any outcome) */
  done: number;
  mappings: Map<number, MappingStatus>;
  /** the first {@link MAX_ERRORS} failed images */
  errors: ImageError[];
}

export interface FinishedRun extends RunCounts {
  /** the pulls the run's `planned` line counted (`pulls` is what was spent) */
  pullsPlanned?: number;
  /** `pullsPlanned` was a floor: some index was not read yet when planning ended */
  pullsPlannedAtLeast?: true;
  filteredOut: number;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  result: 'ok' | 'failed';
  error?: string;
  errors: ImageError[];
  mappings: MappingStatus[];
}

export interface BlobProgress {
  bytes: number;
  size: number;
  done: boolean;
}

export interface TaskState {
  name: string;
  current?: RunInProgress;
  lastRun?: FinishedRun;
  lastSuccessAt?: number;
  nextRunAt?: number;
  lastSkip?: { at: number; reason: string };
  budget?: BudgetView;
  /** keyed by {@link inFlightKey} */
  inFlight: Map<string, CopyInFlight & { blobs: Map<string, BlobProgress> }>;
}

/** What a task has done since the process started, across runs and config reloads (what counters count). */
export interface TaskTotals {
  /** images only: a listing failure is no image */
  images: { copied: number; upToDate: number; failed: number; skipped: number };
  bytes: number;
  pulls: number;
  runs: { ok: number; failed: number };
  lastRunAt?: number;
  lastSuccessAt?: number;
}

export interface RunState {
  configFile?: string;
  configLoaded: boolean;
  schedulerRunning: boolean;
  /** the tasks of the current config in its order (the status page's), and every task it configures (`-run` aside) */
  tasks: Map<string, TaskState>;
  configured: string[];
  /** keyed by registry and identity */
  budgets: Map<string, BudgetStatus>;
  /** per task name, never dropped by a reload */
  totals: Map<string, TaskTotals>;
}

/** How many failed images a run keeps for the status page; the run report has all of them. */
export const MAX_ERRORS = 50;

export function emptyRunState(): RunState {
  return { configLoaded: false, schedulerRunning: false, tasks: new Map(), configured: [], budgets: new Map(), totals: new Map() };
}

export function emptyCounts(): RunCounts {
  return { copied: 0, upToDate: 0, failed: 0, skipped: 0, bytes: 0, pulls: 0 };
}

export function inFlightKey(mapping: number, source: string, target: string): string {
  return `${mapping}\u0000${source}\u0000${target}`;
}

export function budgetKey(registry: string, identity: string): string {
  return `${registry}\u0000${identity}`;
}

/** The budget as a run keeps it: `waiting`, `exhausted` and `source` dropped (they hold only at the instant). */
export function budgetView(b: BudgetSnapshot): BudgetView {
  const { waiting: _w, exhausted: _e, source: _s, ...view } = b;
  return view;
}
