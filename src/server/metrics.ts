import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SyncEvent, SyncEventBus } from '../sync/run-events.js';

/** Metric names, for docs and tests. */
export const METRIC = {
  imagesCopied: 'ferry_images_copied_total',
  imagesUpToDate: 'ferry_images_up_to_date_total',
  imagesFailed: 'ferry_images_failed_total',
  imagesSkipped: 'ferry_images_skipped_total',
  bytes: 'ferry_bytes_transferred_total',
  pulls: 'ferry_source_pulls_total',
  taskRuns: 'ferry_task_runs_total',
  taskDuration: 'ferry_task_run_duration_seconds',
  lastSuccess: 'ferry_task_last_success_timestamp_seconds',
  lastRun: 'ferry_task_last_run_timestamp_seconds',
  budgetRemaining: 'ferry_pull_budget_remaining',
  budgetLimit: 'ferry_pull_budget_limit',
  budgetWaits: 'ferry_pull_budget_waits_total',
  inFlight: 'ferry_copies_in_flight',
  schedulerRunning: 'ferry_scheduler_running',
} as const;

export interface FerryMetrics {
  /** ferry's own registry (never prom-client's global one) */
  readonly registry: Registry;
  /** updates the metrics from one event */
  apply(e: SyncEvent): void;
  attach(bus: SyncEventBus): () => void;
  /** the Prometheus text exposition */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** also export Node's process metrics (process_*, nodejs_*); default true */
  processMetrics?: boolean;
}

/** Prometheus metrics fed by sync events only. */
export function createMetrics(o: MetricsOptions = {}): FerryMetrics {
  const registry = new Registry();
  if (o.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const copied = new Counter({ name: METRIC.imagesCopied, help: 'Images copied to the target', labelNames: ['task'], registers });
  const upToDate = new Counter({ name: METRIC.imagesUpToDate, help: 'Images found already up to date on the target', labelNames: ['task'], registers });
  const failed = new Counter({ name: METRIC.imagesFailed, help: 'Images whose copy failed', labelNames: ['task'], registers });
  const skipped = new Counter({ name: METRIC.imagesSkipped, help: 'Images skipped (filtered out, or waiting for a pull budget)', labelNames: ['task'], registers });
  const bytes = new Counter({ name: METRIC.bytes, help: 'Blob bytes copied to targets', labelNames: ['task'], registers });
  const pulls = new Counter({ name: METRIC.pulls, help: 'Source manifest GETs spent (Docker Hub pulls)', labelNames: ['task'], registers });
  const runs = new Counter({ name: METRIC.taskRuns, help: 'Finished task runs by result', labelNames: ['task', 'result'], registers });
  const duration = new Histogram({
    name: METRIC.taskDuration,
    help: 'Task run duration',
    labelNames: ['task'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers,
  });
  const lastSuccess = new Gauge({ name: METRIC.lastSuccess, help: 'Unix time of the last successful run of a task', labelNames: ['task'], registers });
  const lastRun = new Gauge({ name: METRIC.lastRun, help: 'Unix time of the last finished run of a task', labelNames: ['task'], registers });
  const budgetRemaining = new Gauge({ name: METRIC.budgetRemaining, help: 'Pulls left in the source registry rate-limit window (Docker Hub)', labelNames: ['registry', 'identity'], registers });
  const budgetLimit = new Gauge({ name: METRIC.budgetLimit, help: 'Pulls allowed per rate-limit window', labelNames: ['registry', 'identity'], registers });
  const budgetWaits = new Counter({ name: METRIC.budgetWaits, help: 'Times ferry waited for a pull budget to refill', labelNames: ['registry', 'identity'], registers });
  const inFlight = new Gauge({ name: METRIC.inFlight, help: 'Image copies in progress', labelNames: ['task'], registers });
  const schedulerRunning = new Gauge({ name: METRIC.schedulerRunning, help: '1 while the scheduler runs', registers });
  schedulerRunning.set(0);

  const flying = new Map<string, Set<string>>();
  const waitingUntil = new Map<string, number>();
  const setFlying = (task: string): void => {
    inFlight.set({ task }, flying.get(task)?.size ?? 0);
  };

  const apply = (e: SyncEvent): void => {
    switch (e.type) {
      case 'config-loaded':
        for (const task of e.configured ?? e.tasks) {
          // make every configured task's series exist from the start (one left out by -run too, at 0), so
          // rate() and absent() behave
          for (const c of [copied, upToDate, failed, skipped, bytes, pulls]) c.inc({ task }, 0);
          setFlying(task);
        }
        break;
      case 'scheduler-started':
        schedulerRunning.set(1);
        break;
      case 'scheduler-stopped':
        schedulerRunning.set(0);
        break;
      case 'image-started': {
        let s = flying.get(e.task);
        if (!s) flying.set(e.task, (s = new Set()));
        s.add(`${e.source}\u0000${e.target}`);
        setFlying(e.task);
        break;
      }
      case 'image-finished': {
        const r = e.report;
        const task = r.task;
        flying.get(task)?.delete(`${r.source}\u0000${r.target}`);
        setFlying(task);
        if (r.action === 'copied') copied.inc({ task });
        else if (r.action === 'up-to-date') upToDate.inc({ task });
        else if (r.action === 'failed') failed.inc({ task });
        else skipped.inc({ task });
        if (r.bytes > 0) bytes.inc({ task }, r.bytes);
        if (r.pulls > 0) pulls.inc({ task }, r.pulls);
        break;
      }
      case 'task-finished': {
        const s = e.summary;
        const task = s.task;
        runs.inc({ task, result: s.ok ? 'ok' : 'failed' });
        duration.observe({ task }, Math.max(0, s.finishedAt - s.startedAt) / 1000);
        lastRun.set({ task }, s.finishedAt / 1000);
        if (s.ok) lastSuccess.set({ task }, s.finishedAt / 1000);
        flying.delete(task);
        setFlying(task);
        break;
      }
      case 'task-planned':
      case 'budget': {
        const b = e.type === 'budget' ? e.snapshot : e.budget;
        if (!b) break;
        const labels = { registry: b.registry, identity: b.identity };
        if (b.remaining !== undefined) budgetRemaining.set(labels, b.remaining);
        if (b.limit !== undefined) budgetLimit.set(labels, b.limit);
        const k = `${b.registry}\u0000${b.identity}`;
        // one count per pause: its start identifies it (re-checks and a shorter reset time repeat the pause)
        const pause = b.waitingSinceMs ?? b.waitingUntilMs;
        if (pause !== undefined && b.waitingUntilMs !== undefined && waitingUntil.get(k) !== pause) {
          waitingUntil.set(k, pause);
          budgetWaits.inc(labels);
        }
        break;
      }
      default:
        break;
    }
  };

  return {
    registry,
    apply,
    attach: (bus) => bus.on(apply),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
