import { FerryError, isFerryError } from '../errors.js';
import type { Descriptor } from '../oci/manifest.js';
import { mountBlob } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import { backoffDelay } from '../registry/transport/retry.js';
import { cancelUpload, startUpload, type UploadMode, type UploadSession } from '../registry/uploads.js';
import type { BlobTransfers } from './blob-transfers.js';
import { streamBlob } from './blob-stream.js';
import type { BlobOutcome, CopyEventListener } from './events.js';
import { headSaysHeld, probeRepository, proveSelfMount, type TargetRepository } from './self-mount.js';
import type { SlowBlobs } from './slow-blobs.js';

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
  /**
   * Whole transfers when the source serves wrong bytes or the upload breaks (default 3). It also sizes the blob
   * copy's retry budget: (backoff.attempts - 1) × attempts retries for every request, resume and re-transfer of it.
   */
  attempts?: number;
  signal?: AbortSignal;
}

export interface BlobCopyResult {
  outcome: BlobOutcome;
  bytes: number;
}

/** One blob copy under way: its context, the blob, and the retry budget all its requests draw from. */
interface BlobCopy extends TargetRepository {
  c: BlobCopyContext;
  desc: Descriptor;
}

/** Repositories a mount is tried from before the copy asks and transfers: a mount that fails costs a request. */
const MOUNT_SOURCES = 3;

/**
 * Makes the target repository hold the blob, in this order, stopping at the first that does:
 * 1. the run already knows the repository holds it;
 * 2. a mount from a repository of the target registry that the run put it in;
 * 3. a probe: the repository holds it from an earlier run;
 * 4. a transfer, streamed and verified.
 * The first copy of a blob to a target registry skips 2 (there is nothing to mount from) and is registered before
 * its first request; parallel copies of the blob into other repositories wait for it and mount from where it
 * landed. So each blob crosses the network at most once per target registry and run.
 */
export async function copyBlob(c: BlobCopyContext, desc: Descriptor): Promise<BlobCopyResult> {
  const started = c.dst.clock.now();
  const done = (outcome: BlobOutcome, bytes: number, from?: string): BlobCopyResult => {
    c.transfers.landed(c.dst.registry, desc.digest, c.dstRepo);
    c.events({ type: 'blob-done', digest: desc.digest, size: desc.size, outcome, repository: c.dstRepo, bytes, durationMs: c.dst.clock.now() - started, ...(from ? { from } : {}) });
    return { outcome, bytes };
  };
  // 1. known to the run
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
  const b: BlobCopy = { c, desc, dst: c.dst, dstRepo: c.dstRepo, budget: c.dst.retryBudget(c.attempts ?? 3), ...(c.signal ? { signal: c.signal } : {}) };
  throwIfSlow(c, desc);
  let sources = mountSources(c, desc);
  while (sources.length === 0) {
    const pending = c.transfers.inFlight(registry, desc.digest);
    // First on this registry: probe and transfer, registered with no await since the check so the others wait.
    if (!pending) return c.transfers.track(registry, desc.digest, probeThenTransfer(b));
    // When the first copy fails, one of those waiting takes over.
    await pending.catch(() => undefined);
    throwIfSlow(c, desc);
    sources = mountSources(c, desc);
  }
  // 2. mount
  const mount = await mountFromAny(b, sources);
  if ('from' in mount) return { outcome: 'mounted', bytes: 0, from: mount.from };
  // 3. probe: every mount failed (some registries do not mount at all), but the repository may hold the blob
  // from an earlier run. A failed mount opened an upload session, which the transfer uses.
  let held: boolean;
  try {
    held = await headSaysHeld(b, desc);
  } catch (e) {
    if (mount.session) await cancelUpload(c.dst, c.dstRepo, mount.session.location);
    throw e;
  }
  if (held) {
    if (mount.session) await cancelUpload(c.dst, c.dstRepo, mount.session.location);
    return { outcome: 'exists', bytes: 0 };
  }
  // 4. transfer
  return c.transfers.track(registry, desc.digest, transferAndLand(b, mount.session));
}

function throwIfSlow(c: BlobCopyContext, desc: Descriptor): void {
  // Tried twice already in this run and too slow both times: the server is slow; do not try a third time.
  const slow = c.slow.get(c.src.registry, c.dst.registry, desc.digest);
  if (slow) throw slow;
}

function mountSources(c: BlobCopyContext, desc: Descriptor): string[] {
  return c.transfers.mountSources(c.dst.registry, desc.digest, c.dstRepo).slice(0, MOUNT_SOURCES);
}

/**
 * Tries a mount from each source in turn. A mount from a repository holding the blob also succeeds when the
 * target already holds it. A failed mount opens an upload session: the first is kept to upload into, the others
 * are closed.
 */
async function mountFromAny(b: BlobCopy, sources: string[]): Promise<{ from: string } | { session: UploadSession | undefined }> {
  let session: UploadSession | undefined;
  for (const from of sources) {
    let r: Awaited<ReturnType<typeof mountBlob>>;
    try {
      r = await mountBlob(b.dst, { repository: b.dstRepo, digest: b.desc.digest }, from, { signal: b.signal, budget: b.budget.forRequest() });
    } catch (e) {
      // the session an earlier failed mount opened is closed, not left to the registry's upload purge
      if (session) await cancelUpload(b.dst, b.dstRepo, session.location);
      throw e;
    }
    if (r.mounted) {
      if (session) await cancelUpload(b.dst, b.dstRepo, session.location);
      return { from };
    }
    if (session) await cancelUpload(b.dst, b.dstRepo, r.location);
    else session = r;
  }
  return { session };
}

/** 3 and 4 for the first copy of a blob to this registry. */
async function probeThenTransfer(b: BlobCopy): Promise<BlobCopyResult> {
  const answer = await probeRepository(b, b.desc);
  if (answer !== 'exists') return transferAndLand(b, answer);
  await proveSelfMount(b, b.desc);
  b.c.transfers.landed(b.dst.registry, b.desc.digest, b.dstRepo);
  return { outcome: 'exists', bytes: 0 };
}

async function transferAndLand(b: BlobCopy, session: UploadSession | undefined): Promise<BlobCopyResult> {
  const bytes = await transfer(b, session);
  // before anyone learns the blob is here: a mount rewrites the repository's link file, which must not race a
  // manifest PUT reading it
  await proveSelfMount(b, b.desc);
  // Recorded as landed before the tracked promise settles, so copies waiting on it can mount from here at once.
  b.c.transfers.landed(b.dst.registry, b.desc.digest, b.dstRepo);
  return { outcome: 'copied', bytes };
}

function refusesWholeBody(err: FerryError): boolean {
  const status = err.context.status;
  return (status === 413 || status === 416) && (err.context.method === 'PATCH' || err.context.method === 'PUT');
}

/**
 * Transfers until one attempt lands. A transfer that failed is repeated (with backoff, drawing from the blob's
 * budget) up to `attempts` times when another could succeed: a network failure, wrong bytes from the source, a
 * first too-slow attempt. A registry refusing a whole-body upload is a different case: the upload's form was
 * wrong, not the transfer, so it goes again at once in chunks and counts as no failed transfer.
 */
async function transfer(b: BlobCopy, first: UploadSession | undefined): Promise<number> {
  const { c, desc } = b;
  const attempts = c.attempts ?? 3;
  let failed = 0;
  let slow = 0;
  let session = first;
  for (;;) {
    session ??= await startUpload(c.dst, c.dstRepo, { signal: c.signal, budget: b.budget.forRequest() });
    const mode = c.dst.profile.needsChunks ? 'chunked' : c.uploadMode;
    let err: FerryError;
    try {
      await streamBlob(c, desc, session, mode, b.budget.forRequest());
      return desc.size;
    } catch (e) {
      err = isFerryError(e) ? e : new FerryError('NETWORK_ERROR', String(e), {}, { cause: e });
    }
    await cancelUpload(c.dst, c.dstRepo, session.location);
    session = undefined;
    if (mode !== 'chunked' && refusesWholeBody(err) && !c.signal?.aborted) {
      c.dst.profile.needsChunks = true;
      c.dst.logger.info({ registry: c.dst.registry, repository: c.dstRepo, digest: desc.digest, status: err.context.status }, 'registry refused a whole-body upload; switching to chunked uploads');
      continue;
    }
    failed++;
    // Too slow once may be bad luck (a congested path, a busy node behind a balancer): try again once. Twice is
    // a slow server, and the image fails rather than spending another window on it.
    if (err.code === 'TRANSFER_TOO_SLOW' && ++slow >= 2) {
      const final = slowTwice(err);
      c.slow.mark(desc.digest, final);
      throw final;
    }
    const again = err.retryable || err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH' || err.code === 'TRANSFER_TOO_SLOW';
    // The one retry after a first too-slow transfer is the rule's, not the budget's: a budget spent on resumes
    // must not turn "too slow twice" (marked, explained, not tried again this run) into a plain failure.
    const retry = !again || failed >= attempts || c.signal?.aborted ? undefined : err.code === 'TRANSFER_TOO_SLOW' ? failed : b.budget.draw();
    if (retry === undefined) throw err;
    c.events({ type: 'blob-retry', digest: desc.digest, attempt: failed, error: err.message });
    await c.dst.clock.sleep(backoffDelay(retry, c.dst.backoff, c.dst.random), c.signal);
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
