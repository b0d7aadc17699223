/**
 * Concurrency and rate limits for registry traffic: a FIFO counting `Semaphore` (e.g. 3–4 parallel blob
 * transfers per registry) and a token-bucket `RateLimiter` (requests per second). Both honour AbortSignals: an
 * aborted waiter leaves the queue and its promise rejects with FerryError('ABORTED') (cause = the signal's reason).
 */
import { FerryError } from '../../errors.js';

function abortError(signal: AbortSignal): FerryError {
  return new FerryError('ABORTED', 'operation aborted', {}, { cause: signal.reason });
}

interface Waiter {
  resolve: (release: () => void) => void;
}

/** A FIFO counting semaphore. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  #queue: Waiter[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new FerryError('CONFIG_INVALID', `concurrency limit must be a whole number ≥ 1, got ${limit}`);
    }
    this.#limit = limit;
  }

  /** Holders of a permit. */
  get active(): number {
    return this.#active;
  }

  /** Callers queued for a permit. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Waits for a permit; resolves to its release function (calling it more than once is harmless). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#active < this.#limit && this.#queue.length === 0) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise<() => void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(abortError(signal as AbortSignal));
      };
      const waiter: Waiter = {
        resolve: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Runs `fn` holding a permit, releasing it however `fn` ends. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#active--;
      this.#dispatch();
    };
  }

  #dispatch(): void {
    while (this.#active < this.#limit) {
      const next = this.#queue.shift();
      if (!next) return;
      this.#active++;
      next.resolve(this.#releaser());
    }
  }
}

/** What the RateLimiter needs from a clock (`Clock` from src/clock.ts fits). */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A token bucket: `perSecond` tokens per second, holding at most max(1, perSecond) (the burst), starting full.
 * `take` reserves the next token at once and sleeps until it is due, so callers are served in call order.
 * An aborted `take` does not give its reservation back (the limiter errs on the slow side).
 * `perSecond = Infinity` disables limiting.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #capacity: number;
  readonly #clock: LimiterClock;
  #tokens: number;
  #last: number;

  constructor(perSecond: number, clock: LimiterClock) {
    if (!(perSecond > 0)) {
      throw new FerryError('CONFIG_INVALID', `rate limit must be a positive number of requests per second, got ${perSecond}`);
    }
    this.#rate = perSecond;
    this.#capacity = Math.max(1, perSecond);
    this.#clock = clock;
    this.#tokens = this.#capacity;
    this.#last = clock.now();
  }

  /** Waits until a token is available and takes it. */
  async take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    if (this.#rate === Infinity) return;
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = Math.max(this.#last, now);
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed * this.#rate) / 1000);
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const waitMs = Math.ceil((-this.#tokens * 1000) / this.#rate);
    try {
      await this.#clock.sleep(waitMs, signal);
    } catch (e) {
      if (signal?.aborted && !(e instanceof FerryError && e.code === 'ABORTED')) throw abortError(signal);
      throw e;
    }
  }
}
