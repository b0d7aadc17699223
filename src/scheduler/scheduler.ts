import { setMaxListeners } from 'node:events';
import type { TaskConfig } from '../config/types.js';
import { isFerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SyncEventBus, TaskRunSummary } from '../sync/run-events.js';
import type { Clock } from '../clock.js';

export interface SchedulerOptions {
  tasks: readonly TaskConfig[];
  run: (task: TaskConfig, signal: AbortSignal) => Promise<TaskRunSummary>;
  clock: Clock;
  bus: SyncEventBus;
  logger: Logger;
  /** run every task once, whatever its interval (`--once`) */
  once?: boolean;
}

export interface SchedulerResult {
  /** tasks whose last run failed (dregsy: only the last run of each task counts) */
  failed: string[];
  runs: number;
}

/**
 * dregsy's task loop (spec §5.4) with ferry's concurrency: one-off tasks (interval 0) run once at start; periodic
 * ones run at start and then every interval (fixed rate from the start, ticks dropped while busy). A run is skipped
 * while the task's previous run is still going (no overlap) and when it fires too soon (dregsy's `tooSoon`: less
 * than half an interval after the previous run ended). Different tasks run at the same time.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #abort = new AbortController();
  readonly #lastOk = new Map<string, boolean>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #lastEnd = new Map<string, number>();
  readonly #loops: Promise<void>[] = [];
  #runs = 0;
  #started = false;
  #done: Promise<SchedulerResult> | undefined;

  constructor(o: SchedulerOptions) {
    // Every request and every queued copy listens on this one signal: thousands of listeners are expected.
    setMaxListeners(0, this.#abort.signal);
    this.#o = o;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Starts every task; resolves when all one-off work is done and no periodic task exists (else at stop()). */
  start(): Promise<SchedulerResult> {
    if (this.#started) return this.#done as Promise<SchedulerResult>;
    this.#started = true;
    this.#o.bus.emit({ type: 'scheduler-started' });
    const oneOff = this.#o.tasks.filter((t) => this.#o.once || t.intervalSeconds === 0);
    const periodic = this.#o.tasks.filter((t) => !this.#o.once && t.intervalSeconds > 0);
    for (const t of oneOff) this.#fire(t);
    for (const t of periodic) this.#loops.push(this.#loop(t));
    this.#done = (async () => {
      await Promise.all(oneOff.map((t) => this.#running.get(t.name)));
      if (periodic.length > 0) await Promise.all(this.#loops);
      await Promise.all([...this.#running.values()]);
      return this.result();
    })();
    return this.#done;
  }

  /** Aborts in-flight runs (copies stop before writing their tag), waits for them, and ends the loops. */
  async stop(): Promise<SchedulerResult> {
    this.#abort.abort(new Error('stopping'));
    await Promise.all(this.#loops);
    await Promise.all([...this.#running.values()]);
    this.#o.bus.emit({ type: 'scheduler-stopped' });
    return this.result();
  }

  result(): SchedulerResult {
    return { failed: [...this.#lastOk].filter(([, ok]) => !ok).map(([n]) => n), runs: this.#runs };
  }

  async #loop(t: TaskConfig): Promise<void> {
    const { clock } = this.#o;
    const interval = t.intervalSeconds * 1000;
    const start = clock.now();
    let tick = 0;
    while (!this.#abort.signal.aborted) {
      this.#fire(t, interval);
      tick = Math.max(tick + 1, Math.floor((clock.now() - start) / interval) + 1);
      const next = start + tick * interval;
      this.#o.bus.emit({ type: 'task-scheduled', task: t.name, nextRunAt: next });
      try {
        await clock.sleep(next - clock.now(), this.#abort.signal);
      } catch {
        return;
      }
    }
  }

  #fire(t: TaskConfig, interval = 0): void {
    const { clock, bus } = this.#o;
    const log = this.#o.logger.child({ task: t.name });
    if (this.#abort.signal.aborted) return;
    if (this.#running.has(t.name)) {
      bus.emit({ type: 'task-skipped', task: t.name, reason: 'previous run still going' });
      log.info({}, 'task fired while its previous run is still going, skipping');
      return;
    }
    const lastEnd = this.#lastEnd.get(t.name);
    if (interval > 0 && lastEnd !== undefined && clock.now() < lastEnd + interval / 2) {
      bus.emit({ type: 'task-skipped', task: t.name, reason: 'fired too soon' });
      log.info({}, 'task fired too soon, skipping');
      return;
    }
    this.#runs++;
    const p = this.#o
      .run(t, this.#abort.signal)
      .then(
        (s) => {
          this.#lastOk.set(t.name, s.ok);
        },
        (e: unknown) => {
          this.#lastOk.set(t.name, false);
          log.error({ code: isFerryError(e) ? e.code : undefined }, `task run crashed: ${e instanceof Error ? e.message : String(e)}`);
        },
      )
      .finally(() => {
        this.#lastEnd.set(t.name, clock.now());
        this.#running.delete(t.name);
      });
    this.#running.set(t.name, p);
  }
}
