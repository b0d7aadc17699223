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
 */
export function resumableSource(o: ResumableOptions): Readable {
  return Readable.from(generate(o), { objectMode: false, highWaterMark: SOURCE_BUFFER_BYTES });
}

async function* generate(o: ResumableOptions): AsyncGenerator<Buffer> {
  let offset = 0;
  let resumes = 0;
  const max = o.maxResumes ?? 5;
  for (;;) {
    let error: FerryError | undefined;
    try {
      const { body, offset: start } = await o.open(offset);
      let skip = offset - start;
      try {
        for await (const c of body) {
          let chunk = c as Buffer;
          if (skip > 0) {
            const n = Math.min(skip, chunk.byteLength);
            skip -= n;
            chunk = chunk.subarray(n);
            if (chunk.byteLength === 0) continue;
          }
          offset += chunk.byteLength;
          yield chunk;
        }
      } finally {
        if (!body.destroyed) body.destroy();
      }
      if (offset >= o.size) return;
      error = new FerryError('NETWORK_ERROR', `download${o.what ? ` of ${o.what}` : ''} ended early after ${offset} of ${o.size} bytes`);
    } catch (e) {
      const err = isFerryError(e) ? e : transportError(e, {});
      if (!err.retryable) throw err;
      error = err;
    }
    if (++resumes > max || o.signal?.aborted) throw error;
    o.onResume?.(offset, resumes, error.message);
    await o.clock.sleep(backoffDelay(resumes, o.backoff ?? DEFAULT_BACKOFF, o.random ?? Math.random), o.signal);
  }
}
