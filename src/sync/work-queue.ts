import { Semaphore } from '../registry/transport/semaphore.js';

/**
 * Jobs run `concurrency` at a time, with at most `capacity` jobs accepted (running or waiting) at once: `push`
 * resolves when the job is accepted, so a producer that awaits it (the streaming planner) cannot run ahead of
 * the copies and pile up work in memory. Job failures are the job's own business: `push` and `drain` never
 * reject because a job did.
 */
export class WorkQueue {
  readonly #run: Semaphore;
  readonly #accept: Semaphore;
  readonly #jobs = new Set<Promise<void>>();

  constructor(concurrency: number, capacity = concurrency * 4) {
    this.#run = new Semaphore(concurrency);
    this.#accept = new Semaphore(Math.max(concurrency, capacity));
  }

  /** Jobs accepted and not finished. */
  get size(): number {
    return this.#jobs.size;
  }

  /** Waits until the queue has room, then starts `job` as soon as a slot frees. Rejects only if `signal` aborts while waiting for room. */
  async push(job: () => Promise<void>, signal?: AbortSignal): Promise<void> {
    const release = await this.#accept.acquire(signal);
    const p: Promise<void> = this.#run
      .run(job, signal)
      .catch(() => undefined)
      .finally(() => {
        this.#jobs.delete(p);
        release();
      });
    this.#jobs.add(p);
  }

  /** Resolves when every accepted job has finished (including jobs pushed while draining). */
  async drain(): Promise<void> {
    while (this.#jobs.size > 0) await Promise.all([...this.#jobs]);
  }
}
