/** Synthetic sync events, as the runner and scheduler emit them, for the status store, metrics and page tests. */
import type { Digest } from '../../src/ref/digest.js';
import type { BudgetSnapshot } from '../../src/registry/budget/budget-state.js';
import { StatusStore } from '../../src/server/status-store.js';
import { SyncEventBus, type ImageReport, type SyncEvent, type TaskRunSummary } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';

export const D1 = `sha256:${'1'.repeat(64)}` as Digest;
export const D2 = `sha256:${'2'.repeat(64)}` as Digest;

export function image(task: string, i: number, action: ImageReport['action'], extra: Partial<ImageReport> = {}): ImageReport {
  return {
    task,
    mapping: extra.mapping ?? 0,
    source: `docker.io/library/busybox:1.${i}`,
    target: `harbor.example/mirror/busybox:1.${i}`,
    action,
    bytes: action === 'copied' ? 1000 * (i + 1) : 0,
    durationMs: 120,
    pulls: action === 'copied' ? 1 : 0,
    ...(action === 'failed' ? { reason: 'denied: requested access to the resource is denied', errorCode: 'DENIED' } : {}),
    ...(action === 'copied' ? { sourceDigest: D1, targetDigest: D1 } : {}),
    ...extra,
  };
}

export function summary(task: string, startedAt: number, finishedAt: number, reports: ImageReport[], extra: Partial<TaskRunSummary> = {}): TaskRunSummary {
  const n = (a: ImageReport['action']): number => reports.filter((r) => r.action === a).length;
  return {
    task,
    startedAt,
    finishedAt,
    copied: n('copied'),
    upToDate: n('up-to-date'),
    failed: n('failed'),
    skipped: n('skipped'),
    bytes: reports.reduce((s, r) => s + r.bytes, 0),
    pulls: reports.reduce((s, r) => s + r.pulls, 0),
    ok: n('failed') === 0,
    ...extra,
  };
}

/** One full task run: started, planned, each image started/finished, finished. Returns the summary. */
export function emitRun(bus: SyncEventBus, task: string, startedAt: number, finishedAt: number, reports: ImageReport[]): TaskRunSummary {
  bus.emit({ type: 'task-started', task, at: startedAt });
  bus.emit({ type: 'task-planned', task, images: reports.length, toCopy: reports.filter((r) => r.action === 'copied').length, pullsNeeded: 1 });
  for (const r of reports) {
    bus.emit({ type: 'image-started', task, mapping: r.mapping, source: r.source, target: r.target });
    bus.emit({ type: 'image-finished', report: r });
  }
  const s = summary(task, startedAt, finishedAt, reports);
  bus.emit({ type: 'task-finished', summary: s });
  return s;
}

export function emitAll(bus: SyncEventBus, events: SyncEvent[]): void {
  for (const e of events) bus.emit(e);
}

/** A bus, its run projection, and the status store reading it (`now`: the projection's clock). */
export function projected(now: () => number = Date.now): { bus: SyncEventBus; projection: RunProjection; store: StatusStore } {
  const bus = new SyncEventBus();
  const projection = new RunProjection(bus, now);
  return { bus, projection, store: new StatusStore(projection) };
}

/**
 * A budget event as the pull budget emits it, carrying `b` as its snapshot: a wait (until `waitingUntilMs`) when
 * `b` is paused, else a resumption.
 */
export function budgetEvent(b: Omit<BudgetSnapshot, 'waiting' | 'exhausted'>): SyncEvent {
  const budget: BudgetSnapshot = { ...b, waiting: 0, exhausted: b.waitingUntilMs !== undefined };
  const who = { registry: b.registry, identity: b.identity, budget };
  const remaining = b.remaining !== undefined ? { remaining: b.remaining } : {};
  if (b.waitingUntilMs === undefined) return { type: 'budget-resume', ...who, waitedMs: 0, ...remaining };
  return { type: 'budget-wait', ...who, ...remaining, reserve: b.reserve, resumeAtMs: b.waitingUntilMs };
}
