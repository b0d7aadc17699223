/**
 * A low-speed limit, as curl's `--speed-limit`/`--speed-time`: a transfer whose rate stays below
 * `bytesPerSecond` for `timeMs` fails, where an idle timeout never fires for a body that trickles a byte at a time.
 * Pure bookkeeping: callers pass the time (`now`, from the injected clock) and cumulative byte counts.
 */

export interface LowSpeedLimit {
  /** the slowest acceptable rate; 0 turns the check off */
  bytesPerSecond: number;
  /** the span the rate is averaged over, in ms */
  timeMs: number;
}

/** Below 1 KiB/s averaged over 60 s. */
export const DEFAULT_LOW_SPEED: LowSpeedLimit = Object.freeze({ bytesPerSecond: 1024, timeMs: 60_000 });

/** The shortest `low-speed-time` accepted from users (shorter spans measure noise, not a server). */
export const MIN_LOW_SPEED_TIME_MS = 1000;

export function lowSpeedEnabled(l: LowSpeedLimit): boolean {
  return l.bytesPerSecond > 0 && l.timeMs > 0;
}

interface Sample {
  active: number;
  bytes: number;
}

/**
 * One direction of one transfer. Time counts only while the meter is active, i.e. while the transfer waits on
 * this direction's peer (a download paused because the upload is behind is not slow). `sample` is called
 * periodically with the bytes moved so far; it answers with the rate over the last `timeMs` of counted time
 * when that is below the limit.
 */
export class LowSpeedMeter {
  readonly limit: LowSpeedLimit;
  #counted = 0;
  #since: number | undefined;
  #samples: Sample[] = [];
  /** index of the window's start in #samples; the samples before it are dropped in batches */
  #head = 0;

  constructor(limit: LowSpeedLimit) {
    this.limit = limit;
  }

  /** Counted time so far, in ms. */
  counted(now: number): number {
    return this.#counted + (this.#since === undefined ? 0 : Math.max(0, now - this.#since));
  }

  /** Whether time from `now` on counts against this direction. */
  setActive(active: boolean, now: number): void {
    if (active === (this.#since !== undefined)) return;
    if (active) this.#since = now;
    else {
      this.#counted = this.counted(now);
      this.#since = undefined;
    }
  }

  /** Records `bytes` (cumulative) at `now`; returns the measured rate in B/s when the limit is broken. */
  sample(bytes: number, now: number): number | undefined {
    if (!lowSpeedEnabled(this.limit)) return undefined;
    const active = this.counted(now);
    const last = this.#samples[this.#samples.length - 1];
    if (last && last.active === active) last.bytes = bytes;
    else this.#samples.push({ active, bytes });
    // The newest sample at least one span of counted time back is the window's start. Samples are in time order
    // and the start only moves forward, so a forward scan from the last start costs O(1) per sample, amortised
    // (a backward scan over a window of one sample per millisecond would cost O(window) per chunk).
    const cutoff = active - this.limit.timeMs;
    if ((this.#samples[this.#head] as Sample).active > cutoff) return undefined;
    let base = this.#head;
    while (base + 1 < this.#samples.length && (this.#samples[base + 1] as Sample).active <= cutoff) base++;
    this.#head = base;
    const start = this.#samples[base] as Sample;
    // drop what is behind the window in batches: one splice per 1024 dropped samples, not one per sample
    if (base >= 1024 && base * 2 >= this.#samples.length) {
      this.#samples.splice(0, base);
      this.#head = 0;
    }
    const rate = ((bytes - start.bytes) * 1000) / (active - start.active);
    return rate < this.limit.bytesPerSecond ? rate : undefined;
  }
}

/** `812 B/s`, `1.5 KiB/s`: rates in messages. */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1024) return `${Math.floor(bytesPerSecond)} B/s`;
  if (bytesPerSecond < 1024 * 1024) return `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`;
  return `${(bytesPerSecond / 1024 / 1024).toFixed(1)} MiB/s`;
}

/** `60s`, `1.5s`: the span of a low-speed limit in messages. */
export function formatSpan(ms: number): string {
  return `${Math.round(ms) / 1000}s`;
}
