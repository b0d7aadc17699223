import { Readable } from 'node:stream';
import { FerryError, isFerryError } from '../errors.js';
import type { Clock } from '../scheduler/clock.js';
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
  /** how many times a broken or truncated download is resumed (default 5) */
  maxResumes?: number;
  signal?: AbortSignal;
  /** names the blob in errors: "blob sha256:… from registry r, repository a/b" */
  what?: string;
  onResume?: (offset: number, attempt: number, error: string) => void;
}

/**
 * A readable over a remote blob that survives broken connections and truncated bodies: it resumes with a
 * Range request from the last byte received (skipping bytes itself when the server ignores Range), so a
 * long upload fed from it continues instead of restarting. Content checks are left to VerifyStream.
 *
 * Chunks are forwarded from the response body as they arrive, with the body paused while this stream's
 * buffer is full — no async iteration per chunk: a cold sync moves hundreds of megabytes through here.
 */
export function resumableSource(o: ResumableOptions): Readable {
  return new ResumableReadable(o);
}

class ResumableReadable extends Readable {
  readonly #o: ResumableOptions;
  #body: Readable | undefined;
  #offset = 0;
  #skip = 0;
  #resumes = 0;
  #opening = false;

  constructor(o: ResumableOptions) {
    super({ highWaterMark: SOURCE_BUFFER_BYTES });
    this.#o = o;
  }

  override _read(): void {
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
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.byteLength);
        this.#skip -= n;
        chunk = chunk.subarray(n);
        if (chunk.byteLength === 0) return;
      }
      this.#offset += chunk.byteLength;
      if (!this.push(chunk)) body.pause();
    });
    body.once('end', () => {
      if (this.#body !== body) return;
      this.#release();
      if (this.#offset >= this.#o.size) this.push(null);
      else void this.#broken(new FerryError('NETWORK_ERROR', `download${this.#o.what ? ` of ${this.#o.what}` : ''} ended early after ${this.#offset} of ${this.#o.size} bytes`));
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
    if (!err.retryable || ++this.#resumes > (o.maxResumes ?? 5) || o.signal?.aborted) {
      this.destroy(err);
      return;
    }
    o.onResume?.(this.#offset, this.#resumes, err.message);
    try {
      await o.clock.sleep(backoffDelay(this.#resumes, o.backoff ?? DEFAULT_BACKOFF, o.random ?? Math.random), o.signal);
    } catch (s) {
      this.destroy(isFerryError(s) ? s : err);
      return;
    }
    if (!this.destroyed) void this.#open();
  }
}
