import { safeText } from '../safe-text.js';
import { runCounts, type BudgetSnapshot, type ImageAction, type ImageReport, type RunCounts, type SyncEvent, type SyncEventBus, type TaskRunSummary } from '../sync/run-events.js';

/** How many failed images a task keeps (per run) for the status page; the run report has all of them. */
const MAX_ERRORS = 50;
/** Error text shown in `/status` is one line of at most this many characters (it often quotes a registry). */
export const MAX_STATUS_ERROR = 300;

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
  waiting: number;
  bytes: number;
}

export interface LastRun extends RunCounts {
  /** the pulls the run's `planned` line counted (`pulls` is what was spent) */
  pullsPlanned?: number;
  /** `pullsPlanned` was a floor: some index was not read yet when planning ended */
  pullsPlannedAtLeast?: true;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  result: 'ok' | 'failed';
  error?: string;
  errors: ImageError[];
  mappings: MappingStatus[];
}

export interface CopyInFlight {
  source: string;
  target: string;
  startedAt: number;
  bytes: number;
  totalBytes: number;
}

export interface CurrentRun {
  startedAt: number;
  /**
   * `pullsNeeded` is corrected as copies read their manifests and as they finish (then it counts what they spent);
   * `pullsEstimated`: it is still "at least"
   */
  planned?: { images: number; toCopy: number; pullsNeeded: number; pullsEstimated?: true };
  /** source manifest GETs spent by the images finished so far */
  pullsSpent: number;
  done: number;
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
  budget?: BudgetSnapshot;
  inFlight: CopyInFlight[];
}

export interface BudgetStatus extends BudgetSnapshot {
  /** how often ferry has waited for this budget since it started */
  waits: number;
  updatedAt: number;
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

interface TaskState {
  name: string;
  current?: CurrentRun & { mappings: Map<number, MappingStatus>; errors: ImageError[] };
  lastRun?: LastRun;
  lastSuccessAt?: number;
  nextRunAt?: number;
  lastSkip?: { at: number; reason: string };
  budget?: BudgetSnapshot;
  inFlight: Map<string, CopyInFlight & { blobs: Map<string, { bytes: number; size: number }> }>;
}

/**
 * What the status page and `/status` show, kept from sync events only (never from logs).
 * Pure apart from the injected clock: feed it events and read `snapshot()`.
 */
export class StatusStore {
  private readonly tasks = new Map<string, TaskState>();
  private readonly budgets = new Map<string, BudgetStatus>();
  private configFile: string | undefined;
  private configLoaded = false;
  private schedulerRunning = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Subscribes to a bus; returns the unsubscribe function. */
  attach(bus: SyncEventBus): () => void {
    return bus.on((e) => this.apply(e));
  }

  /** Called after every applied event (the HTTP server does not need it; tests and embedders may). */
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get ready(): boolean {
    return this.configLoaded && this.schedulerRunning;
  }

  apply(e: SyncEvent): void {
    switch (e.type) {
      case 'config-loaded':
        this.configLoaded = true;
        this.configFile = e.file;
        for (const t of e.tasks) this.task(t);
        // tasks removed from a reloaded config disappear from the page
        for (const name of [...this.tasks.keys()]) if (!e.tasks.includes(name)) this.tasks.delete(name);
        break;
      case 'scheduler-started':
        this.schedulerRunning = true;
        break;
      case 'scheduler-stopped':
        this.schedulerRunning = false;
        break;
      case 'task-scheduled':
        this.task(e.task).nextRunAt = e.nextRunAt;
        break;
      case 'task-started': {
        const t = this.task(e.task);
        t.current = { startedAt: e.at, pullsSpent: 0, done: 0, failed: 0, mappings: new Map(), errors: [] };
        t.inFlight.clear();
        break;
      }
      case 'task-planned': {
        const t = this.task(e.task);
        if (t.current) t.current.planned = { images: e.images, toCopy: e.toCopy, pullsNeeded: e.pullsNeeded, ...(e.pullsEstimated ? { pullsEstimated: true as const } : {}) };
        if (e.budget) {
          t.budget = e.budget;
          this.budget(e.budget);
        }
        break;
      }
      case 'task-pulls': {
        const planned = this.task(e.task).current?.planned;
        if (planned) {
          planned.pullsNeeded = e.pullsNeeded;
          if (e.pullsEstimated) planned.pullsEstimated = true;
          else delete planned.pullsEstimated;
        }
        break;
      }
      case 'image-started':
        this.task(e.task).inFlight.set(key(e.source, e.target), { source: e.source, target: e.target, startedAt: this.now(), bytes: 0, totalBytes: 0, blobs: new Map() });
        break;
      case 'copy':
        this.copyEvent(e);
        break;
      case 'image-finished':
        this.imageFinished(e.report);
        break;
      case 'task-finished':
        this.taskFinished(e.summary);
        break;
      case 'task-skipped':
        this.task(e.task).lastSkip = { at: this.now(), reason: safeText(e.reason, MAX_STATUS_ERROR) };
        break;
      case 'budget':
        this.budget(e.snapshot);
        break;
    }
    for (const l of this.listeners) l();
  }

  snapshot(): StatusSnapshot {
    const tasks = [...this.tasks.values()].map((t): TaskStatus => {
      const out: TaskStatus = {
        name: t.name,
        state: t.current ? 'running' : 'idle',
        inFlight: [...t.inFlight.values()].map(({ blobs: _blobs, ...f }) => ({ ...f })),
      };
      if (t.lastRun) out.lastRun = structuredClone(t.lastRun);
      if (t.lastSuccessAt !== undefined) out.lastSuccessAt = t.lastSuccessAt;
      if (t.current) {
        const { mappings: _m, errors: _e, ...c } = t.current;
        out.currentRun = structuredClone(c);
      }
      if (t.nextRunAt !== undefined) out.nextRunAt = t.nextRunAt;
      if (t.lastSkip) out.lastSkip = { ...t.lastSkip };
      if (t.budget) out.budget = { ...t.budget };
      return out;
    });
    const snap: StatusSnapshot = {
      generatedAt: this.now(),
      configLoaded: this.configLoaded,
      schedulerRunning: this.schedulerRunning,
      tasks,
      budgets: [...this.budgets.values()].map((b) => ({ ...b })),
      copiesInFlight: tasks.reduce((n, t) => n + t.inFlight.length, 0),
    };
    if (this.configFile !== undefined) snap.configFile = this.configFile;
    return snap;
  }

  private task(name: string): TaskState {
    let t = this.tasks.get(name);
    if (!t) {
      t = { name, inFlight: new Map() };
      this.tasks.set(name, t);
    }
    return t;
  }

  private budget(s: BudgetSnapshot): void {
    const k = `${s.registry}\u0000${s.identity}`;
    const prev = this.budgets.get(k);
    const now = this.now();
    // a new wait: the snapshot says we wait, and not the pause already counted (re-checks repeat its start)
    const newWait = s.waitingUntilMs !== undefined && waitId(prev) !== waitId(s);
    this.budgets.set(k, { ...s, waits: (prev?.waits ?? 0) + (newWait ? 1 : 0), updatedAt: now });
  }

  private copyEvent(e: Extract<SyncEvent, { type: 'copy' }>): void {
    const f = this.tasks.get(e.task)?.inFlight.get(key(e.source, e.target));
    if (!f) return;
    const ev = e.event;
    if (ev.type === 'blob-started') f.blobs.set(ev.digest, { bytes: 0, size: ev.size });
    else if (ev.type === 'blob-progress') f.blobs.set(ev.digest, { bytes: ev.bytes, size: ev.size });
    else if (ev.type === 'blob-done') f.blobs.set(ev.digest, { bytes: ev.size, size: ev.size });
    else return;
    let bytes = 0;
    let total = 0;
    for (const b of f.blobs.values()) {
      bytes += b.bytes;
      total += b.size;
    }
    f.bytes = bytes;
    f.totalBytes = total;
  }

  private imageFinished(r: ImageReport): void {
    const t = this.task(r.task);
    t.inFlight.delete(key(r.source, r.target));
    const c = t.current;
    if (!c) return;
    let m = c.mappings.get(r.mapping);
    if (!m) {
      m = { mapping: r.mapping, copied: 0, upToDate: 0, failed: 0, skipped: 0, waiting: 0, bytes: 0 };
      c.mappings.set(r.mapping, m);
    }
    m[COUNTER[r.action]]++;
    m.bytes += r.bytes;
    c.pullsSpent += r.pulls;
    c.done++;
    if (r.action === 'failed') {
      c.failed++;
      if (c.errors.length < MAX_ERRORS) {
        const err: ImageError = { mapping: r.mapping, source: r.source, target: r.target, message: safeText(r.reason ?? 'failed', MAX_STATUS_ERROR) };
        if (r.errorCode !== undefined) err.code = r.errorCode;
        c.errors.push(err);
      }
    }
  }

  private taskFinished(s: TaskRunSummary): void {
    const t = this.task(s.task);
    const c = t.current;
    const run: LastRun = {
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      durationMs: Math.max(0, s.finishedAt - s.startedAt),
      result: s.ok ? 'ok' : 'failed',
      ...runCounts(s),
      errors: c?.errors ?? [],
      mappings: c ? [...c.mappings.values()].sort((a, b) => a.mapping - b.mapping) : [],
    };
    if (s.error !== undefined) run.error = safeText(s.error, MAX_STATUS_ERROR);
    if (s.pullsPlanned !== undefined) run.pullsPlanned = s.pullsPlanned;
    if (s.pullsPlannedAtLeast) run.pullsPlannedAtLeast = true;
    t.lastRun = run;
    if (s.ok) t.lastSuccessAt = s.finishedAt;
    delete t.current;
    t.inFlight.clear();
  }
}

const COUNTER: Record<ImageAction, 'copied' | 'upToDate' | 'failed' | 'skipped' | 'waiting'> = {
  copied: 'copied',
  'up-to-date': 'upToDate',
  failed: 'failed',
  skipped: 'skipped',
  waiting: 'waiting',
};

/** What tells one pause from another: its start, else (older producers) its end. */
function waitId(s: BudgetSnapshot | undefined): number | undefined {
  return s === undefined || s.waitingUntilMs === undefined ? undefined : (s.waitingSinceMs ?? s.waitingUntilMs);
}

function key(source: string, target: string): string {
  return `${source}\u0000${target}`;
}
