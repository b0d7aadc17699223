import { FerryError, isFerryError, isRefusal, statusOf } from '../errors.js';
import type { Descriptor } from '../oci/manifest.js';
import { VerifyStream } from '../oci/verify-stream.js';
import { headBlob, mountBlob, openBlob } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import { drain } from '../registry/transport/http.js';
import { backoffDelay } from '../registry/transport/retry.js';
import { cancelUpload, startUpload, uploadBlob, type UploadMode, type UploadSession } from '../registry/uploads.js';
import type { BlobTransfers } from './blob-transfers.js';
import type { BlobOutcome, CopyEventListener } from './events.js';
import { pipeInto } from './pipe-into.js';
import { resumableSource } from './resumable-source.js';
import type { SlowBlobs } from './slow-blobs.js';
import { TransferPace } from './transfer-pace.js';

export interface BlobCopyContext {
  src: RegistryClient;
  srcRepo: string;
  dst: RegistryClient;
  dstRepo: string;
  transfers: BlobTransfers;
  /** blobs too slow twice in this run (SlowBlobs: one per task run) */
  slow: SlowBlobs;
  events: CopyEventListener;
  uploadMode?: UploadMode;
  /** whole-transfer attempts when the source serves wrong bytes or the upload breaks (default 3) */
  attempts?: number;
  signal?: AbortSignal;
}

export interface BlobCopyResult {
  outcome: BlobOutcome;
  bytes: number;
}

/**
 * Makes the target repository hold the blob. The first copy of a blob on a target registry asks the target
 * whether the repository holds it and otherwise transfers it (streamed and verified); parallel copies of the same
 * blob into other repositories wait for that one and mount from where it landed. So each blob crosses the network
 * at most once per target registry and run.
 */
export async function copyBlob(c: BlobCopyContext, desc: Descriptor): Promise<BlobCopyResult> {
  const started = c.dst.clock.now();
  const done = (outcome: BlobOutcome, bytes: number, from?: string): BlobCopyResult => {
    c.transfers.landed(c.dst.registry, desc.digest, c.dstRepo);
    c.events({ type: 'blob-done', digest: desc.digest, size: desc.size, outcome, repository: c.dstRepo, bytes, durationMs: c.dst.clock.now() - started, ...(from ? { from } : {}) });
    return { outcome, bytes };
  };
  if (c.transfers.holds(c.dst.registry, desc.digest, c.dstRepo)) return done('exists', 0);
  const { shared, result } = c.transfers.once('blob', c.dst.registry, c.dstRepo, desc.digest, () => ensure(c, desc));
  if (!shared) {
    const r = await result;
    return done(r.outcome, r.bytes, r.from);
  }
  // Another copy is putting this blob into this repository right now: its outcome is ours.
  await result;
  return done('exists', 0);
}

async function ensure(c: BlobCopyContext, desc: Descriptor): Promise<BlobCopyResult & { from?: string }> {
  const { registry } = c.dst;
  // Tried twice already in this run and too slow both times: the server is slow; do not try a third time.
  const slow = c.slow.get(c.src.registry, registry, desc.digest);
  if (slow) throw slow;
  let sources = c.transfers.mountSources(registry, desc.digest, c.dstRepo).slice(0, 3);
  // Nobody has put the blob anywhere on this registry yet: the first copy asks and transfers (registered before
  // its first request, so the others see it); the rest wait for it. When it fails, one of them takes over.
  while (sources.length === 0) {
    const pending = c.transfers.inFlight(registry, desc.digest);
    if (!pending) return c.transfers.track(registry, desc.digest, askThenTransfer(c, desc));
    await pending.catch(() => undefined);
    const failed = c.slow.get(c.src.registry, registry, desc.digest);
    if (failed) throw failed;
    sources = c.transfers.mountSources(registry, desc.digest, c.dstRepo).slice(0, 3);
  }

  // A mount from a repository holding the blob answers both questions at once: a mount into a repository that
  // already holds the blob succeeds too.
  let session: UploadSession | undefined;
  for (const from of sources) {
    const r = await mountBlob(c.dst, c.dstRepo, desc.digest, from, { signal: c.signal });
    if (r.mounted) {
      if (session) await cancelUpload(c.dst, c.dstRepo, session.location);
      return { outcome: 'mounted', bytes: 0, from };
    }
    // A failed mount opened an upload session: keep the first to upload into, close any other.
    if (session) await cancelUpload(c.dst, c.dstRepo, r.location);
    else session = r;
  }
  // Every mount failed (some registries do not mount at all): the repository may hold the blob from an earlier run.
  if (await headSaysHeld(c, desc)) {
    if (session) await cancelUpload(c.dst, c.dstRepo, session.location);
    return { outcome: 'exists', bytes: 0 };
  }
  return c.transfers.track(registry, desc.digest, transferAndLand(c, desc, session));
}

async function askThenTransfer(c: BlobCopyContext, desc: Descriptor): Promise<BlobCopyResult> {
  const answer = await probeRepository(c, desc);
  if (answer !== 'exists') return transferAndLand(c, desc, answer);
  await proveSelfMount(c, desc);
  c.transfers.landed(c.dst.registry, desc.digest, c.dstRepo);
  return { outcome: 'exists', bytes: 0 };
}

async function transferAndLand(c: BlobCopyContext, desc: Descriptor, session: UploadSession | undefined): Promise<BlobCopyResult> {
  const bytes = await transfer(c, desc, session);
  // before anyone learns the blob is here: a mount rewrites the repository's link file, which must not race a
  // manifest PUT reading it
  await proveSelfMount(c, desc);
  // Recorded as landed before the tracked promise settles, so copies waiting on it can mount from here at once.
  c.transfers.landed(c.dst.registry, desc.digest, c.dstRepo);
  return { outcome: 'copied', bytes };
}

/**
 * Per target registry (client), what a blob mount from the repository itself says: 'works' once it answered 201
 * for a blob the repository was known to hold, 'no' when it answered 202 (it does not mount, or not this way) or
 * refused it, 'proving' while that one test is in flight; absent until a blob has landed.
 */
const selfMount = new WeakMap<object, 'proving' | 'works' | 'no'>();

/**
 * Does the target repository hold the blob? Where a mount from the repository itself is proven to work, that is
 * the question: one request that answers and opens the upload, 201 when the repository holds the blob, 202 with
 * the session the copy uploads into (instead of a HEAD and a POST; distribution spends ~2 ms of CPU on each).
 * Elsewhere, and on a registry that answers it with a 4xx other than 401 or 429, the question is a HEAD.
 */
async function probeRepository(c: BlobCopyContext, desc: Descriptor): Promise<'exists' | UploadSession | undefined> {
  if (selfMount.get(c.dst) === 'works') {
    try {
      const r = await mountBlob(c.dst, c.dstRepo, desc.digest, c.dstRepo, { signal: c.signal });
      return r.mounted ? 'exists' : r;
    } catch (e) {
      if (c.signal?.aborted || !isRefusal(e)) throw e;
      selfMount.set(c.dst, 'no');
      c.dst.logger.info({ registry: c.dst.registry, repository: c.dstRepo, digest: desc.digest, status: statusOf(e) }, 'registry refused a blob mount from the repository itself; checking blobs with HEAD instead');
    }
  }
  return (await headSaysHeld(c, desc)) ? 'exists' : undefined;
}

/**
 * The first time a blob is known to be in a repository of a target registry (before the run records it there),
 * ask for it with a mount from that repository: only a 201 here shows that this mount answers the question
 * probeRepository asks. A registry that does not mount answers 202 to everything, and one could mount across
 * repositories yet not from a repository into itself; either way it gets HEADs. A failure to ask (network,
 * 5xx, auth) leaves it unproven, for the next blob.
 */
async function proveSelfMount(c: BlobCopyContext, desc: Descriptor): Promise<void> {
  if (selfMount.has(c.dst) || c.signal?.aborted) return;
  selfMount.set(c.dst, 'proving');
  try {
    const r = await mountBlob(c.dst, c.dstRepo, desc.digest, c.dstRepo, { signal: c.signal });
    if (r.mounted) return void selfMount.set(c.dst, 'works');
    selfMount.set(c.dst, 'no');
    await cancelUpload(c.dst, c.dstRepo, r.location);
  } catch (e) {
    if (isRefusal(e)) selfMount.set(c.dst, 'no');
    else selfMount.delete(c.dst);
  }
  if (selfMount.get(c.dst) === 'no') {
    c.dst.logger.debug({ registry: c.dst.registry, repository: c.dstRepo, digest: desc.digest }, 'a blob mount from the repository itself does not answer whether it holds a blob here; checking blobs with HEAD');
  }
}

async function headSaysHeld(c: BlobCopyContext, desc: Descriptor): Promise<boolean> {
  return (await headBlob(c.dst, c.dstRepo, desc.digest, { signal: c.signal, push: true })) !== undefined;
}

/**
 * Registries that refused a single streamed PATCH or a large monolithic PUT (413/416, as GHCR does above
 * 4 MiB): uploads to them use fixed-size chunks honouring OCI-Chunk-Min-Length from then on.
 */
const needsChunks = new WeakSet<object>();

function refusesWholeBody(err: FerryError): boolean {
  const status = err.context.status;
  return (status === 413 || status === 416) && (err.context.method === 'PATCH' || err.context.method === 'PUT');
}

async function transfer(c: BlobCopyContext, desc: Descriptor, first: UploadSession | undefined): Promise<number> {
  const attempts = c.attempts ?? 3;
  let slow = 0;
  let session = first;
  for (let attempt = 1; ; attempt++) {
    session ??= await startUpload(c.dst, c.dstRepo, c.signal);
    const mode = needsChunks.has(c.dst) ? 'chunked' : c.uploadMode;
    try {
      await stream(c, desc, session, mode);
      return desc.size;
    } catch (e) {
      await cancelUpload(c.dst, c.dstRepo, session.location);
      session = undefined;
      const err = isFerryError(e) ? e : new FerryError('NETWORK_ERROR', String(e), {}, { cause: e });
      if (mode !== 'chunked' && refusesWholeBody(err) && !c.signal?.aborted) {
        needsChunks.add(c.dst);
        c.dst.logger.info({ registry: c.dst.registry, repository: c.dstRepo, digest: desc.digest, status: err.context.status }, 'registry refused a whole-body upload; switching to chunked uploads');
        attempt--;
        continue;
      }
      // Too slow once may be bad luck (a congested path, a busy node behind a balancer): try again once. Twice is
      // a slow server, and the image fails rather than spending another window on it.
      if (err.code === 'TRANSFER_TOO_SLOW' && ++slow >= 2) {
        const final = slowTwice(err);
        c.slow.mark(desc.digest, final);
        throw final;
      }
      const again = err.retryable || err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH' || err.code === 'TRANSFER_TOO_SLOW';
      if (!again || attempt >= attempts || c.signal?.aborted) throw err;
      c.events({ type: 'blob-retry', digest: desc.digest, attempt, error: err.message });
      await c.dst.clock.sleep(backoffDelay(attempt, c.dst.backoff, c.dst.random), c.signal);
    }
  }
}

function slowTwice(err: FerryError): FerryError {
  const registry = String(err.context.registry);
  return new FerryError(
    'TRANSFER_TOO_SLOW',
    `${err.message}, on the first attempt and again on its retry: registry ${registry} is too slow, so this image is not copied (nothing was tagged). ` +
      `If it is known to be this slow, lower its low-speed-limit (0 turns the check off): under registries: ${registry} in the config, or --low-speed-limit for ferry copy`,
    { ...err.context, attempts: 2 },
    { cause: err },
  );
}

/** One attempt: source (resumable) → verify → upload, all streaming, with progress events. */
async function stream(c: BlobCopyContext, desc: Descriptor, session: UploadSession, mode: UploadMode | undefined): Promise<void> {
  const ctx = { registry: c.src.registry, repository: c.srcRepo, digest: desc.digest };
  c.events({ type: 'blob-started', digest: desc.digest, size: desc.size, repository: c.dstRepo });
  let pace: TransferPace | undefined;
  const source = resumableSource({
    size: desc.size,
    open: async (offset) => {
      const blob = await openBlob(c.src, c.srcRepo, desc.digest, { offset, signal: c.signal });
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
