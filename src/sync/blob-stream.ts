/**
 * One attempt at moving a blob: the source (resumable) → VerifyStream → the upload, all streaming, watched for
 * pace at both ends, with progress events. Retries are the caller's (copy-blob.ts); the source's resumes and
 * request retries draw from the blob copy's budget.
 */
import { FerryError, isFerryError } from '../errors.js';
import type { Descriptor } from '../oci/manifest.js';
import { VerifyStream } from '../oci/verify-stream.js';
import { openBlob } from '../registry/blobs.js';
import type { RetryBudget } from '../registry/retry-budget.js';
import { drain } from '../registry/transport/http.js';
import { uploadBlob, type UploadMode, type UploadSession } from '../registry/uploads.js';
import type { BlobCopyContext } from './copy-blob.js';
import { pipeInto } from './pipe-into.js';
import { resumableSource } from './resumable-source.js';
import { TransferPace } from './transfer-pace.js';

/** One attempt: source (resumable) → verify → upload, all streaming, with progress events. */
export async function streamBlob(c: BlobCopyContext, desc: Descriptor, session: UploadSession, mode: UploadMode | undefined, budget: RetryBudget): Promise<void> {
  const ctx = { registry: c.src.registry, repository: c.srcRepo, digest: desc.digest };
  c.events({ type: 'blob-started', digest: desc.digest, size: desc.size, repository: c.dstRepo });
  let pace: TransferPace | undefined;
  const source = resumableSource({
    size: desc.size,
    open: async (offset) => {
      const blob = await openBlob(c.src, { repository: c.srcRepo, digest: desc.digest }, { offset, signal: c.signal, budget });
      // A registry announcing another size than the descriptor's is wrong, not merely interrupted.
      if (blob.length !== undefined && blob.offset + blob.length !== desc.size) {
        await drain(blob.body);
        throw new FerryError(
          'SIZE_MISMATCH',
          `blob ${desc.digest} from registry ${c.src.registry}, repository ${c.srcRepo} is ${blob.offset + blob.length} bytes, its descriptor says ${desc.size}; refusing it`,
          ctx,
        );
      }
      return blob;
    },
    clock: c.src.clock,
    backoff: c.src.backoff,
    what: `blob ${desc.digest} from registry ${c.src.registry}, repository ${c.srcRepo}`,
    random: c.src.random,
    budget,
    signal: c.signal,
    onResume: (offset, attempt, error) => c.src.logger.debug({ ...ctx, offset, attempt, error }, 'resuming blob download'),
    onHeld: (held) => pace?.held(held),
    onComplete: () => pace?.sourceEnded(),
  });
  let lastEmit = 0;
  const verify = new VerifyStream({ digest: desc.digest, size: desc.size }, ctx, undefined, (bytes) => {
    const now = c.dst.clock.now();
    if (now - lastEmit < 250) return;
    lastEmit = now;
    c.events({ type: 'blob-progress', digest: desc.digest, bytes, size: desc.size });
  });
  // Whichever side fails first tears the other down, so neither waits on a dead peer; its error is reported.
  let first: unknown;
  const fail = (e: unknown): never => {
    if (first === undefined || isFerryError(e, 'DIGEST_MISMATCH') || isFerryError(e, 'SIZE_MISMATCH')) first = e;
    verify.destroy(e as Error);
    throw e;
  };
  // In chunked mode the upload reads 4 MiB ahead of what it sent; there the pieces it hands the transport count.
  let sent = 0;
  const onSent = mode === 'chunked' ? (n: number): void => void (sent += n) : undefined;
  let tooSlow: FerryError | undefined;
  // A chunk's PATCH reads no stream that tearing the pipe down would break: it needs aborting itself.
  const abort = onSent ? new AbortController() : undefined;
  const signal = abort ? (c.signal ? AbortSignal.any([c.signal, abort.signal]) : abort.signal) : c.signal;
  pace = new TransferPace({
    clock: c.dst.clock,
    digest: desc.digest,
    size: desc.size,
    source: { registry: c.src.registry, repository: c.srcRepo, limit: c.src.lowSpeed },
    target: { registry: c.dst.registry, repository: c.dstRepo, limit: c.dst.lowSpeed },
    received: () => source.received,
    delivered: () => (onSent ? sent : verify.delivered),
    onTrip: (e) => {
      tooSlow = e;
      verify.destroy(e);
      abort?.abort(e);
    },
  });
  try {
    const uploading = uploadBlob(c.dst, c.dstRepo, session, desc, verify, { mode, ...(signal ? { signal } : {}), ...(onSent ? { onSent } : {}) }).catch(fail);
    const piping = pipeInto(source, verify).catch(fail);
    await Promise.allSettled([uploading, piping]);
  } finally {
    pace.stop();
  }
  if (tooSlow !== undefined) throw tooSlow;
  if (first !== undefined) throw first;
}
