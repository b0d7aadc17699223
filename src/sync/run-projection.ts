/**
 * The one projection of a run: a reducer that folds sync events into counts, copies in flight with their bytes,
 * budget waits and per-mapping results. The status page, /metrics, the TTY progress, the run report, the log's
 * summary lines and the task runner's own summary all read what it computes; nothing else counts events.
 */
import type { CopyEvent } from './events.js';
import type { ImageReport, SyncEvent, SyncEventBus, TaskRunSummary } from './run-events.js';
import { runCounts } from './run-events.js';
import {
  budgetKey,
  budgetView,
  emptyCounts,
  emptyRunState,
  inFlightKey,
  MAX_ERRORS,
  type BudgetStatus,
  type BudgetView,
  type FinishedRun,
  type MappingStatus,
  type RunState,
  type TaskState,
  type TaskTotals,
} from './run-state.js';

/**
 * Applies one event to `state` and returns it. Deterministic: the result depends on the state, the event and `at`
 * (when the event was seen) only; it reads no clock, does no I/O and touches nothing but `state`, which it updates
 * in place (blob progress comes many times a second: copying the state for each event would cost more than the
 * copy it reports on).
 */
export function reduceRun(state: RunState, e: SyncEvent, at: number): RunState {
  switch (e.type) {
    case 'config-loaded':
      state.configLoaded = true;
      state.configFile = e.file;
      for (const t of e.tasks) task(state, t);
      // tasks removed from a reloaded config disappear from the page (their totals stay: counters never go back)
      for (const name of [...state.tasks.keys()]) if (!e.tasks.includes(name)) state.tasks.delete(name);
      state.configured = [...(e.configured ?? e.tasks)];
      for (const t of state.configured) totals(state, t);
      break;
    case 'scheduler-started':
    case 'scheduler-stopped':
      state.schedulerRunning = e.type === 'scheduler-started';
      break;
    case 'task-scheduled':
      task(state, e.task).nextRunAt = e.nextRunAt;
      break;
    case 'task-started': {
      const t = task(state, e.task);
      t.current = { startedAt: e.at, filteredOut: 0, counts: emptyCounts(), done: 0, mappings: new Map(), errors: [] };
      t.inFlight.clear();
      totals(state, e.task);
      break;
    }
    case 'task-planned': {
      const t = task(state, e.task);
      if (t.current) {
        t.current.planned = { images: e.images, toCopy: e.toCopy, pullsNeeded: e.pullsNeeded, ...(e.pullsEstimated ? { pullsEstimated: true as const } : {}) };
        t.current.filteredOut = e.filteredOut ?? 0;
      }
      if (e.budget) {
        const view = budgetView(e.budget);
        // the task shows the figures its plan was made with; a pause shows (and ends) in the budget's own entry
        const { waitingSinceMs: _s, nextCheckAtMs: _n, waitingUntilMs: _u, ...figures } = view;
        t.budget = figures;
        // a fresher view of the budget; its pause, if any, was counted by the event that began it
        const prev = state.budgets.get(budgetKey(e.budget.registry, e.budget.identity));
        setBudget(state, view, prev?.waits ?? 0, at);
      }
      break;
    }
    case 'task-pulls': {
      const planned = state.tasks.get(e.task)?.current?.planned;
      if (planned) {
        planned.pullsNeeded = e.pullsNeeded;
        if (e.pullsEstimated) planned.pullsEstimated = true;
        else delete planned.pullsEstimated;
      }
      break;
    }
    case 'listing-failed': {
      const c = state.tasks.get(e.task)?.current;
      if (c) c.counts.failed++;
      break;
    }
    case 'image-started':
      task(state, e.task).inFlight.set(inFlightKey(e.mapping, e.source, e.target), { source: e.source, target: e.target, startedAt: at, bytes: 0, totalBytes: 0, blobs: new Map() });
      totals(state, e.task);
      break;
    case 'copy': {
      const f = state.tasks.get(e.task)?.inFlight.get(inFlightKey(e.mapping, e.source, e.target));
      if (f && blobEvent(f.blobs, e.event)) {
        let bytes = 0;
        let total = 0;
        for (const b of f.blobs.values()) {
          bytes += b.bytes;
          total += b.size;
        }
        f.bytes = bytes;
        f.totalBytes = total;
      }
      break;
    }
    case 'image-finished':
      imageFinished(state, e.report);
      break;
    case 'task-finished':
      taskFinished(state, e.summary);
      break;
    case 'task-skipped':
      task(state, e.task).lastSkip = { at, reason: e.reason };
      break;
    case 'budget-wait':
    case 'budget-check':
    case 'budget-exhausted':
    case 'budget-resume': {
      const view = budgetView(e.budget);
      const prev = state.budgets.get(budgetKey(e.registry, e.identity));
      // one wait per pause: its start tells it from the next (re-checks and a later 429 repeat it)
      const newWait = view.waitingUntilMs !== undefined && pauseOf(prev) !== pauseOf(view);
      setBudget(state, view, (prev?.waits ?? 0) + (newWait ? 1 : 0), at);
      break;
    }
  }
  return state;
}

/** The state after `events`, from nothing (`at`: when each was seen; default 0). */
export function projectRun(events: Iterable<SyncEvent>, at: (e: SyncEvent, i: number) => number = () => 0): RunState {
  const state = emptyRunState();
  let i = 0;
  for (const e of events) reduceRun(state, e, at(e, i++));
  return state;
}

export type ProjectionListener = (e: SyncEvent, state: RunState) => void;

/**
 * The projection of one bus, shared by every view: it subscribes first, so a view subscribed through `on` reads
 * the state with the event already applied.
 */
export class RunProjection {
  readonly state: RunState = emptyRunState();
  readonly #off: () => void;

  constructor(
    readonly bus: SyncEventBus,
    private readonly now: () => number = Date.now,
  ) {
    this.#off = bus.on((e) => void reduceRun(this.state, e, this.now()), 'run projection');
  }

  /** Stops following the bus (the views subscribed through `on` unsubscribe themselves). */
  detach(): void {
    this.#off();
  }

  /** A view: called after each event is applied. `name` names it if it throws (see SyncEventBus). */
  on(name: string, l: ProjectionListener): () => void {
    return this.bus.on((e) => l(e, this.state), name);
  }

  get ready(): boolean {
    return this.state.configLoaded && this.state.schedulerRunning;
  }

  /** The time the views show as "now" (the projection's clock). */
  time(): number {
    return this.now();
  }
}

function task(state: RunState, name: string): TaskState {
  let t = state.tasks.get(name);
  if (!t) state.tasks.set(name, (t = { name, inFlight: new Map() }));
  return t;
}

function totals(state: RunState, name: string): TaskTotals {
  let t = state.totals.get(name);
  if (!t) state.totals.set(name, (t = { images: { copied: 0, upToDate: 0, failed: 0, skipped: 0 }, bytes: 0, pulls: 0, runs: { ok: 0, failed: 0 } }));
  return t;
}

/** A blob's progress for an image in flight; false when the event is not about a blob. */
function blobEvent(blobs: Map<string, { bytes: number; size: number; done: boolean }>, ev: CopyEvent): boolean {
  if (ev.type === 'blob-started') {
    // a retry starts the blob again: its bytes are replaced, never added to what the failed attempt moved
    if (!blobs.get(ev.digest)?.done) blobs.set(ev.digest, { bytes: 0, size: ev.size, done: false });
  } else if (ev.type === 'blob-progress') {
    // a progress tick that arrives after the blob finished does not take it back
    if (!blobs.get(ev.digest)?.done) blobs.set(ev.digest, { bytes: Math.min(ev.bytes, ev.size), size: ev.size, done: false });
  } else if (ev.type === 'blob-done') blobs.set(ev.digest, { bytes: ev.size, size: ev.size, done: true });
  else return false;
  return true;
}

const COUNTER: Record<ImageReport['action'], 'copied' | 'upToDate' | 'failed' | 'skipped'> = {
  copied: 'copied',
  'up-to-date': 'upToDate',
  failed: 'failed',
  skipped: 'skipped',
};

function imageFinished(state: RunState, r: ImageReport): void {
  const t = task(state, r.task);
  t.inFlight.delete(inFlightKey(r.mapping, r.source, r.target));
  const tot = totals(state, r.task);
  const counter = COUNTER[r.action];
  tot.images[counter]++;
  tot.bytes += r.bytes;
  tot.pulls += r.pulls;
  const c = t.current;
  if (!c) return;
  let m = c.mappings.get(r.mapping);
  if (!m) c.mappings.set(r.mapping, (m = { mapping: r.mapping, copied: 0, upToDate: 0, failed: 0, skipped: 0, bytes: 0 }));
  m[counter]++;
  m.bytes += r.bytes;
  c.counts[counter]++;
  c.counts.bytes += r.bytes;
  c.counts.pulls += r.pulls;
  c.done++;
  if (r.action === 'failed' && c.errors.length < MAX_ERRORS) {
    c.errors.push({ mapping: r.mapping, source: r.source, target: r.target, message: r.reason ?? 'failed', ...(r.errorCode !== undefined ? { code: r.errorCode } : {}) });
  }
}

function taskFinished(state: RunState, s: TaskRunSummary): void {
  const t = task(state, s.task);
  const c = t.current;
  const run: FinishedRun = {
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationMs: Math.max(0, s.finishedAt - s.startedAt),
    result: s.ok ? 'ok' : 'failed',
    // the run's own count of its events; the summary's only when this projection missed the run's start
    ...(c ? c.counts : runCounts(s)),
    filteredOut: c?.filteredOut ?? 0,
    errors: c?.errors ?? [],
    mappings: c ? [...c.mappings.values()].sort((a: MappingStatus, b: MappingStatus) => a.mapping - b.mapping) : [],
  };
  if (s.error !== undefined) run.error = s.error;
  if (s.pullsPlanned !== undefined) run.pullsPlanned = s.pullsPlanned;
  if (s.pullsPlannedAtLeast) run.pullsPlannedAtLeast = true;
  t.lastRun = run;
  if (s.ok) t.lastSuccessAt = s.finishedAt;
  delete t.current;
  t.inFlight.clear();
  const tot = totals(state, s.task);
  tot.runs[s.ok ? 'ok' : 'failed']++;
  tot.lastRunAt = s.finishedAt;
  if (s.ok) tot.lastSuccessAt = s.finishedAt;
}

function setBudget(state: RunState, view: BudgetView, waits: number, at: number): void {
  const b: BudgetStatus = { ...view, waits, updatedAt: at };
  state.budgets.set(budgetKey(view.registry, view.identity), b);
}

/** What tells one pause from another: its start, else its end. */
function pauseOf(b: BudgetView | undefined): number | undefined {
  return b === undefined || b.waitingUntilMs === undefined ? undefined : (b.waitingSinceMs ?? b.waitingUntilMs);
}
