import type { Digest } from '../ref/digest.js';

type SlowError = Error & { context: { direction?: unknown; registry?: unknown } };

/**
 * Blobs that were too slow twice (TRANSFER_TOO_SLOW) in one run, at the end that was slow: the download from its
 * registry, or the upload to its registry. Later copies of such a blob in the same run fail with the same error
 * at once instead of spending two more windows on it. One instance serves one task run (or one `ferry copy`):
 * a server slow this afternoon gets a fresh chance in the next run.
 */
export class SlowBlobs {
  readonly #slow = new Map<string, SlowError>();

  mark(digest: Digest, err: SlowError): void {
    this.#slow.set(`${String(err.context.direction)}\u0000${String(err.context.registry)}\u0000${digest}`, err);
  }

  /** The error of an earlier copy of this blob that was too slow from `source` or to `target`, if any. */
  get(source: string, target: string, digest: Digest): Error | undefined {
    return this.#slow.get(`download\u0000${source}\u0000${digest}`) ?? this.#slow.get(`upload\u0000${target}\u0000${digest}`);
  }
}
