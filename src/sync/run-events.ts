import type { Logger } from '../log/logger.js';
import type { Digest } from '../ref/digest.js';
import type { BudgetEvent, BudgetSnapshot } from '../registry/budget/budget-state.js';
import type { CopyEvent } from './events.js';

/**
 * What happened to one image (one source tag or digest → one target reference) in a task run. `skipped`: the run
 * was stopped before its copy finished. An image waiting for a pull budget is a copy in flight, not an outcome.
 */
export type ImageAction = 'copied' | 'up-to-date' | 'failed' | 'skipped';

export interface ImageReport {
  task: string;
  /** index of the mapping in the task, and its `from` as written */
  mapping: number;
  source: string;
  target: string;
  action: ImageAction;
  /** why: "already up to date", the error message, "stopped before the copy finished" … */
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
  /** tags listed but not selected by the task's filters */
  filteredOut?: number;
  /** the account the source's pulls were charged to, when its registry lists several (`registries.*.credentials`) */
  pullIdentity?: string;
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  error?: string;
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
  /** `filteredOut`: tags listed but not selected; `budget`: the source's pull budget when planning ended */
  | { type: 'task-planned'; task: string; images: number; toCopy: number; pullsNeeded: number; pullsEstimated?: boolean; filteredOut?: number; budget?: BudgetSnapshot }
  /** the planned pulls, corrected as a copy read an index (after `task-planned`); `pullsEstimated`: still "at least" */
  | { type: 'task-pulls'; task: string; pullsNeeded: number; pullsEstimated?: boolean }
  /** a mapping's repositories, or a repository's tags, could not be listed: the run fails, no image is reported */
  | { type: 'listing-failed'; task: string; mapping: number; what: 'mapping' | 'repository'; source: string; error: string; code?: string }
  /** a copy began (`mapping`: its index in the task, so two mappings onto one target stay apart) */
  | { type: 'image-started'; task: string; mapping: number; source: string; target: string }
  | { type: 'image-finished'; report: ImageReport }
  | { type: 'task-finished'; summary: TaskRunSummary }
  | { type: 'task-skipped'; task: string; reason: string }
  /** the source's pull budget waits, is re-checked, resumes or is spent (registry/budget) */
  | BudgetEvent
  | { type: 'copy'; task: string; mapping: number; source: string; target: string; event: CopyEvent };

export type SyncEventListener = (e: SyncEvent) => void;

export function isBudgetEvent(e: SyncEvent): e is BudgetEvent {
  return e.type === 'budget-wait' || e.type === 'budget-check' || e.type === 'budget-resume' || e.type === 'budget-exhausted';
}

/**
 * A synchronous fan-out, in subscription order. A listener that throws is reported once (a log line naming it and
 * the error; later errors of the same listener are counted, not logged) and keeps being called: it never breaks the
 * run, nor the listeners after it.
 */
export class SyncEventBus {
  readonly #listeners = new Map<SyncEventListener, { name: string; errors: number }>();
  readonly #logger: Logger | undefined;

  /** `logger`: where a throwing listener is reported (default: one line on stderr) */
  constructor(o: { logger?: Logger } = {}) {
    this.#logger = o.logger;
  }

  /** `name` says what the listener is in the report of its failure (default: the function's name). */
  on(l: SyncEventListener, name?: string): () => void {
    this.#listeners.set(l, { name: name ?? (l.name || 'an event listener'), errors: 0 });
    return () => void this.#listeners.delete(l);
  }

  emit(e: SyncEvent): void {
    for (const [l, info] of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        if (info.errors++ === 0) this.#report(info.name, e, err);
      }
    }
  }

  /** How often each listener has thrown (listeners that never did are left out). */
  failures(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.#listeners.values()) if (i.errors > 0) out[i.name] = (out[i.name] ?? 0) + i.errors;
    return out;
  }

  #report(name: string, e: SyncEvent, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    const msg = `event listener "${name}" failed on a ${e.type} event: ${error} (the sync goes on; later errors of this listener are not logged)`;
    if (this.#logger) this.#logger.error({ listener: name, event: e.type, error }, msg);
    else process.stderr.write(`${msg}\n`);
  }
}
