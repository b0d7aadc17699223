import { Readable } from 'node:stream';
import { FerryError, isFerryError } from '../errors.js';
import type { Clock } from '../clock.js';
import { RetryBudget } from '../registry/retry-budget.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../registry/transport/retry.js';
import { transportError } from '../registry/transport/http.js';

/**
 * Bytes buffered ahead of the upload per blob stream. Small on purpose: a sync moves many blobs at once
 * (images × blobs per image), and each stream's buffer counts toward the process's memory.
 */
export const SOURCE_BUFFER_BYTES = 256 * 1024;

export interface ResumableOptions {
  size: number;
  /** opens the source at `offset`; returns the offset the body really starts at (0 when Range is ignored) */
  open: (offset: number) => Promise<{ body: Readable; offset: number }>;
  clock: Clock;
  random?: () => number;
  /** delays between resumes (default DEFAULT_BACKOFF) */
  backoff?: BackoffPolicy;
  /**
   * The retries of the operation this download belongs to (a blob copy): each resume draws one, as do the
   * retries of the requests `open` makes when given the same budget (default: 5 resumes for this stream alone).
   */
  budget?: RetryBudget;
  signal?: AbortSignal;
  /** names the blob in errors: "blob sha256:… from registry r, repository a/b" */
  what?: string;
  onResume?: (offset: number, attempt: number, error: string) => void;
  /** the body is paused because this stream's buffer is full (true), or flows again (false) */
  onHeld?: (held: boolean) => void;
  /** every byte has arrived (its consumer may still be reading them) */
  onComplete?: () => void;
}

/** The stream `resumableSource` returns: a Readable that also counts what arrived. */
export interface ResumableSource extends Readable {
  /** bytes received from the network so far, including any skipped after a resume that ignored Range */
  readonly received: number;
}

/**
 * A readable over a remote blob that survives broken connections and truncated bodies: it resumes with a
 * Range request from the last byte received (skipping bytes itself when the server ignores Range), so a
 * long upload fed from it continues instead of restarting. Content checks are left to VerifyStream.
 *
 * Chunks are forwarded from the response body as they arrive, with the body paused while this stream's
 * buffer is full — no async iteration per chunk: a cold sync moves hundreds of megabytes through here.
 */
export function resumableSource(o: ResumableOptions): ResumableSource {
  return new ResumableReadable(o);
}

class ResumableReadable extends Readable implements ResumableSource {
  readonly #o: ResumableOptions;
  #received = 0;
  #held = false;
  #body: Readable | undefined;
  #offset = 0;
  #skip = 0;
  #opening = false;

  readonly #budget: RetryBudget;

  constructor(o: ResumableOptions) {
    super({ highWaterMark: SOURCE_BUFFER_BYTES });
    this.#o = o;
    this.#budget = o.budget ?? new RetryBudget(5);
  }

  get received(): number {
    return this.#received;
  }

  override _read(): void {
    if (this.#held) {
      this.#held = false;
      this.#o.onHeld?.(false);
    }
    if (this.#body) this.#body.resume();
    else if (!this.#opening) void this.#open();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#release();
    cb(err);
  }

  async #open(): Promise<void> {
    this.#opening = true;
    let opened: { body: Readable; offset: number };
    try {
      opened = await this.#o.open(this.#offset);
    } catch (e) {
      this.#opening = false;
      void this.#broken(e);
      return;
    }
    this.#opening = false;
    const { body } = opened;
    if (this.destroyed) {
      // destroyed while the request was under way: discard the late body (undici's errors when destroyed; that
      // error has nobody to go to, and unheard it would end the process)
      body.on('error', () => undefined);
      body.destroy();
      return;
    }
    this.#skip = this.#offset - opened.offset;
    this.#body = body;
    body.on('data', (c: Buffer) => {
      let chunk = c;
      this.#received += c.byteLength;
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.byteLength);
        this.#skip -= n;
        chunk = chunk.subarray(n);
        if (chunk.byteLength === 0) return;
      }
      this.#offset += chunk.byteLength;
      if (!this.push(chunk)) {
        body.pause();
        if (!this.#held) {
          this.#held = true;
          this.#o.onHeld?.(true);
        }
      }
    });
    body.once('end', () => {
      if (this.#body !== body) return;
      this.#release();
      if (this.#offset >= this.#o.size) {
        this.#o.onComplete?.();
        this.push(null);
      } else void this.#broken(new FerryError('NETWORK_ERROR', `download${this.#o.what ? ` of ${this.#o.what}` : ''} ended early after ${this.#offset} of ${this.#o.size} bytes`));
    });
    body.once('error', (e: unknown) => {
      if (this.#body !== body) return;
      this.#release();
      void this.#broken(e);
    });
  }

  /** Detaches from the current response body and discards it. */
  #release(): void {
    const body = this.#body;
    this.#body = undefined;
    if (!body) return;
    body.removeAllListeners('data');
    body.on('error', () => undefined);
    if (!body.destroyed) body.destroy();
  }

  /** A download broke off: resume after a pause, or fail the stream when it cannot or may not. */
  async #broken(e: unknown): Promise<void> {
    const err = isFerryError(e) ? e : transportError(e, {});
    const o = this.#o;
    const retry = err.retryable && !o.signal?.aborted ? this.#budget.draw() : undefined;
    if (retry === undefined) {
      this.destroy(err);
      return;
    }
    o.onResume?.(this.#offset, retry, err.message);
    try {
      await o.clock.sleep(backoffDelay(retry, o.backoff ?? DEFAULT_BACKOFF, o.random ?? Math.random), o.signal);
    } catch (s) {
      this.destroy(isFerryError(s) ? s : err);
      return;
    }
    if (!this.destroyed) void this.#open();
  }
}
