import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunProjection } from '../sync/run-projection.js';
import type { BudgetStatus, TaskTotals } from '../sync/run-state.js';

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
  listenerErrors: 'ferry_event_listener_errors_total',
} as const;

export interface FerryMetrics {
  /** ferry's own registry (never prom-client's global one) */
  readonly registry: Registry;
  /** the Prometheus text exposition */
  render(): Promise<string>;
  readonly contentType: string;
  /** stops observing task-run durations */
  detach(): void;
}

export interface MetricsOptions {
  /** also export Node's process metrics (process_*, nodejs_*); default true */
  processMetrics?: boolean;
}

type Labels = Record<string, string>;

/**
 * Prometheus metrics, read from the run projection when scraped (only the run-duration histogram observes each
 * finished run as it comes). Every configured task has its series from the start (one left out by -run too, at 0),
 * so rate() and absent() behave.
 */
export function createMetrics(projection: RunProjection, o: MetricsOptions = {}): FerryMetrics {
  const registry = new Registry();
  if (o.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const st = projection.state;
  const perTask = (value: (t: TaskTotals, name: string) => number | undefined) =>
    function* (): Iterable<[Labels, number]> {
      for (const [task, t] of st.totals) {
        const v = value(t, task);
        if (v !== undefined) yield [{ task }, v];
      }
    };
  const perBudget = (value: (b: BudgetStatus) => number | undefined) =>
    function* (): Iterable<[Labels, number]> {
      for (const b of st.budgets.values()) {
        const v = value(b);
        if (v !== undefined) yield [{ registry: b.registry, identity: b.identity }, v];
      }
    };
  // values are set from the projection at each scrape (`collect`), so no event is counted here
  const counter = (name: string, help: string, labelNames: string[], values: () => Iterable<[Labels, number]>): void =>
    void new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, v] of values()) this.inc(labels, v);
      },
    });
  const gauge = (name: string, help: string, labelNames: string[], values: () => Iterable<[Labels, number]>): void =>
    void new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, v] of values()) this.set(labels, v);
      },
    });

  counter(METRIC.imagesCopied, 'Images copied to the target', ['task'], perTask((t) => t.images.copied));
  counter(METRIC.imagesUpToDate, 'Images found already up to date on the target', ['task'], perTask((t) => t.images.upToDate));
  counter(METRIC.imagesFailed, 'Images whose copy failed', ['task'], perTask((t) => t.images.failed));
  counter(METRIC.imagesSkipped, 'Images skipped (the run was stopped before their copy finished)', ['task'], perTask((t) => t.images.skipped));
  counter(METRIC.bytes, 'Blob bytes copied to targets', ['task'], perTask((t) => t.bytes));
  counter(METRIC.pulls, 'Source manifest GETs spent (Docker Hub pulls)', ['task'], perTask((t) => t.pulls));
  counter(METRIC.taskRuns, 'Finished task runs by result', ['task', 'result'], function* () {
    for (const [task, t] of st.totals) for (const result of ['ok', 'failed'] as const) if (t.runs[result] > 0) yield [{ task, result }, t.runs[result]];
  });
  const duration = new Histogram({
    name: METRIC.taskDuration,
    help: 'Task run duration',
    labelNames: ['task'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers,
  });
  gauge(METRIC.lastSuccess, 'Unix time of the last successful run of a task', ['task'], perTask((t) => (t.lastSuccessAt === undefined ? undefined : t.lastSuccessAt / 1000)));
  gauge(METRIC.lastRun, 'Unix time of the last finished run of a task', ['task'], perTask((t) => (t.lastRunAt === undefined ? undefined : t.lastRunAt / 1000)));
  gauge(METRIC.budgetRemaining, 'Pulls left in the source registry rate-limit window (Docker Hub)', ['registry', 'identity'], perBudget((b) => b.remaining));
  gauge(METRIC.budgetLimit, 'Pulls allowed per rate-limit window', ['registry', 'identity'], perBudget((b) => b.limit));
  counter(METRIC.budgetWaits, 'Times ferry waited for a pull budget to refill', ['registry', 'identity'], perBudget((b) => (b.waits > 0 ? b.waits : undefined)));
  // only a listener's first error is logged: this counts them all, so a view that keeps failing is seen
  counter(METRIC.listenerErrors, "Errors thrown by a listener of the run's events (the first of each listener is logged)", ['listener'], function* () {
    for (const [listener, n] of Object.entries(projection.bus.failures())) yield [{ listener }, n];
  });
  gauge(METRIC.inFlight, 'Image copies in progress', ['task'], perTask((_t, task) => st.tasks.get(task)?.inFlight.size ?? 0));
  gauge(METRIC.schedulerRunning, '1 while the scheduler runs', [], function* () {
    yield [{}, st.schedulerRunning ? 1 : 0];
  });

  const detach = projection.on('metrics', (e) => {
    if (e.type === 'task-finished') duration.observe({ task: e.summary.task }, Math.max(0, e.summary.finishedAt - e.summary.startedAt) / 1000);
  });
  return { registry, render: () => registry.metrics(), contentType: registry.contentType, detach };
}
