import { Transform, type TransformCallback } from 'node:stream';
import { FerryError, type ErrorContext } from '../errors.js';
import { canVerify, Digester, digestAlgorithm, type Digest } from '../ref/digest.js';

/**
 * A pass-through that hashes and counts the bytes of a blob as they flow, and fails the stream when they
 * do not match the descriptor: at once on overflow, at the end on a short body or a wrong digest.
 * It holds back the last chunk until the digest is verified, so a consumer (an upload with a fixed
 * Content-Length) can never receive the complete, wrong content: the upload fails instead.
 */
export class VerifyStream extends Transform {
  private readonly digester: Digester | undefined;
  private held: Buffer | undefined;
  private seen = 0;

  constructor(
    private readonly expected: { digest: Digest; size: number },
    private readonly ctx: ErrorContext,
    /** bytes already verified and sent before this stream started (a resumed download) */
    resumeFrom?: Digester,
    /** called with the running byte count after each chunk (progress), so no extra stream stage is needed */
    private readonly onBytes?: (bytes: number) => void,
  ) {
    super();
    this.digester = resumeFrom ?? (canVerify(expected.digest) ? new Digester(digestAlgorithm(expected.digest)) : undefined);
    this.seen = resumeFrom?.bytes ?? 0;
  }

  get bytes(): number {
    return this.seen;
  }

  /** bytes its consumer has taken: what came in, less the held-back chunk and what waits in the read buffer */
  get delivered(): number {
    return this.seen - (this.held?.byteLength ?? 0) - this.readableLength;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.byteLength;
    if (this.seen > this.expected.size) {
      cb(this.fail('SIZE_MISMATCH', `is larger than the ${this.expected.size} bytes its descriptor says`));
      return;
    }
    this.digester?.update(chunk);
    this.onBytes?.(this.seen);
    const prev = this.held;
    this.held = chunk;
    if (prev) this.push(prev);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      cb(this.fail('SIZE_MISMATCH', `ended after ${this.seen} of ${this.expected.size} bytes`));
      return;
    }
    if (this.digester) {
      const got = this.digester.digest();
      if (got !== this.expected.digest) {
        cb(this.fail('DIGEST_MISMATCH', `has digest ${got}`));
        return;
      }
    }
    if (this.held) this.push(this.held);
    this.held = undefined;
    cb();
  }

  private fail(code: 'SIZE_MISMATCH' | 'DIGEST_MISMATCH', what: string): FerryError {
    const c = this.ctx;
    return new FerryError(
      code,
      `blob ${this.expected.digest} from registry ${c.registry}, repository ${c.repository} ${what}; the source is serving corrupt or wrong data, nothing was written for it`,
      { ...c, digest: this.expected.digest },
    );
  }
}
