import { FerryError } from '../errors.js';
import type { Digest } from '../ref/digest.js';
import { formatRate, formatSpan, LowSpeedMeter, lowSpeedEnabled, type LowSpeedLimit } from '../registry/transport/low-speed.js';
import type { Clock } from '../clock.js';

/** The reason a pace's tick is aborted with (a constant: no DOMException built per transfer). */
const STOPPED = Object.freeze({ stopped: true });

/** One end of a blob transfer: where the bytes come from or go to, and that registry's low-speed limit. */
export interface PaceEnd {
  registry: string;
  repository: string;
  limit: LowSpeedLimit;
}

export interface TransferPaceOptions {
  clock: Clock;
  digest: Digest;
  size: number;
  source: PaceEnd;
  target: PaceEnd;
  /** bytes received from the source so far (network bytes, including any the source re-sent) */
  received: () => number;
  /** bytes the upload has taken so far */
  delivered: () => number;
  /** called once when either end breaks its limit; the caller tears the transfer down with the error */
  onTrip: (err: FerryError) => void;
}

/**
 * Watches one attempt of a streamed blob copy (source → verify → upload) against both registries' low-speed
 * limits, from the first byte on. Download and upload are coupled by backpressure, so time is charged to the end
 * the transfer waits on: to the target while the source is held back because the upload is behind (or the source
 * is done and the upload is not), else to the source. A slow target thus never makes the source look slow, nor
 * the reverse. Once the upload has taken every byte, the wait for its answer is the headers timeout's business.
 */
export class TransferPace {
  readonly #o: TransferPaceOptions;
  readonly #stop = new AbortController();
  #held = false;
  #ended = false;
  #meters: { down: LowSpeedMeter; up: LowSpeedMeter } | undefined;
  #done = false;

  constructor(o: TransferPaceOptions) {
    this.#o = o;
    const limits = [o.source.limit, o.target.limit].filter(lowSpeedEnabled);
    if (limits.length === 0) {
      this.#done = true;
      return;
    }
    const step = Math.max(10, Math.floor(Math.min(...limits.map((l) => l.timeMs)) / 10));
    void this.#tick(step);
  }

  /** The source is held back (true) because the upload has not taken what it buffered, or runs again (false). */
  held(held: boolean): void {
    this.#held = held;
    this.#charge();
  }

  /** Every byte has arrived from the source: what remains is the upload's. */
  sourceEnded(): void {
    this.#ended = true;
    this.#charge();
  }

  stop(): void {
    this.#done = true;
    this.#stop.abort(STOPPED);
  }

  #charge(): void {
    if (!this.#meters) return;
    const now = this.#o.clock.now();
    const upload = this.#held || this.#ended;
    this.#meters.down.setActive(!upload, now);
    this.#meters.up.setActive(upload, now);
  }

  async #tick(step: number): Promise<void> {
    const o = this.#o;
    while (!this.#done) {
      try {
        await o.clock.sleep(step, this.#stop.signal);
      } catch {
        return;
      }
      if (this.#done) return;
      const now = o.clock.now();
      if (!this.#meters) {
        if (o.received() === 0) continue;
        this.#meters = { down: new LowSpeedMeter(o.source.limit), up: new LowSpeedMeter(o.target.limit) };
        this.#charge();
      }
      const delivered = o.delivered();
      if (delivered >= o.size) return this.stop();
      const down = this.#meters.down.sample(o.received(), now);
      const up = down === undefined ? this.#meters.up.sample(delivered, now) : undefined;
      if (down !== undefined) return this.#trip('download', o.source, down);
      if (up !== undefined) return this.#trip('upload', o.target, up);
    }
  }

  #trip(direction: 'download' | 'upload', end: PaceEnd, rate: number): void {
    this.stop();
    this.#o.onTrip(transferTooSlow(direction, end, this.#o.digest, rate));
  }
}

export function transferTooSlow(direction: 'download' | 'upload', end: PaceEnd, digest: Digest, rate: number): FerryError {
  const { limit } = end;
  const what = direction === 'download' ? `from registry ${end.registry}, repository ${end.repository} arrived` : `to registry ${end.registry}, repository ${end.repository} was accepted`;
  return new FerryError(
    'TRANSFER_TOO_SLOW',
    `blob ${digest} ${what} at ${formatRate(rate)} over ${formatSpan(limit.timeMs)}, below the low-speed limit of ${limit.bytesPerSecond} B/s`,
    {
      registry: end.registry,
      repository: end.repository,
      digest,
      direction,
      bytesPerSecond: Math.floor(rate),
      lowSpeedLimit: limit.bytesPerSecond,
      lowSpeedTimeMs: limit.timeMs,
    },
  );
}
