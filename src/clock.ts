/**
 * Time as a dependency: `systemClock` for production, `FakeClock` for tests that must not really sleep.
 * Sleeps that are aborted reject with FerryError('ABORTED') carrying the signal's reason as `cause`.
 */
import { FerryError } from './errors.js';

export interface Clock {
  /** wall-clock time, epoch ms */
  now(): number;
  /** resolves after `ms` (immediately for ms ≤ 0); rejects with FerryError('ABORTED') when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function aborted(signal: AbortSignal): FerryError {
  return new FerryError('ABORTED', 'operation aborted', {}, { cause: signal.reason });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(aborted(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.min(ms, 2_147_483_647));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
}

/**
 * A manual clock. `sleep` waits until `advance` moves time past its due time; `advance` wakes sleepers in due
 * order (ties in call order), setting `now()` to each one's due time, and lets their continuations run before
 * waking the next, so a sleeper that sleeps again within the advanced span wakes too. Always `await advance(…)`.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Number of sleeps not yet woken or aborted. */
  get pending(): number {
    return this.#sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        due: this.#now + ms,
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(aborted(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking every sleeper due by then, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await flush();
    for (;;) {
      let next: Sleeper | undefined;
      for (const s of this.#sleepers) {
        if (s.due <= target && (!next || s.due < next.due || (s.due === next.due && s.seq < next.seq))) next = s;
      }
      if (!next) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      this.#now = Math.max(this.#now, next.due);
      next.resolve();
      await flush();
    }
    this.#now = target;
  }
}

/** Lets pending promise continuations (and anything they chain) run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
