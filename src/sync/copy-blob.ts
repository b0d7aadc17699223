import { pipeline } from 'node:stream/promises';
import { FerryError, isFerryError } from '../errors.js';
import type { Descriptor } from '../oci/manifest.js';
import { VerifyStream } from '../oci/verify-stream.js';
import { headBlob, mountBlob, openBlob } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import { drain } from '../registry/transport/http.js';
import { backoffDelay } from '../registry/transport/retry.js';
import { cancelUpload, startUpload, uploadBlob, type UploadMode, type UploadSession } from '../registry/uploads.js';
import type { BlobTransfers } from './blob-transfers.js';
import type { BlobOutcome, CopyEventListener } from './events.js';
import { resumableSource } from './resumable-source.js';

export interface BlobCopyContext {
  src: RegistryClient;
  srcRepo: string;
  dst: RegistryClient;
  dstRepo: string;
  transfers: BlobTransfers;
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
 * Makes the target repository hold the blob: asks the target (a mount from the repository itself, or a HEAD),
 * then mounts from a target repository known to hold it, then makes a streamed, verified transfer. Parallel copies of one blob wait for each other,
 * so each blob crosses the network at most once per target registry and run.
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
  let session: UploadSession | undefined;
  let checked = false;
  // When this run put the blob into another repository, a mount answers both questions at once (a mount into a
  // repository that already holds the blob succeeds too), saving a request per shared layer on a cold sync.
  let sources = c.transfers.mountSources(c.dst.registry, desc.digest, c.dstRepo).slice(0, 3);
  if (sources.length === 0) {
    const probe = await probeRepository(c, desc);
    if (probe === 'exists') return { outcome: 'exists', bytes: 0 };
    session = probe;
    checked = true;
    const pending = c.transfers.inFlight(c.dst.registry, desc.digest);
    if (pending) {
      await pending.catch(() => undefined);
      sources = c.transfers.mountSources(c.dst.registry, desc.digest, c.dstRepo).slice(0, 3);
    }
  }

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
  // Re-check after waiting: the transfer we waited for may have landed in this very repository; and when every
  // mount failed without asking first, the repository may hold the blob from an earlier run.
  if (c.transfers.holds(c.dst.registry, desc.digest, c.dstRepo) || (!checked && (await headBlob(c.dst, c.dstRepo, desc.digest, { signal: c.signal, push: true })) !== undefined)) {
    if (session) await cancelUpload(c.dst, c.dstRepo, session.location);
    return { outcome: 'exists', bytes: 0 };
  }
  // Recorded as landed before the tracked promise settles, so copies waiting on it can mount from here at once.
  const work = transfer(c, desc, session).then((n) => {
    c.transfers.landed(c.dst.registry, desc.digest, c.dstRepo);
    return n;
  });
  const bytes = await c.transfers.track(c.dst.registry, desc.digest, work);
  return { outcome: 'copied', bytes };
}

/** Target registries that answered a mount from the repository itself with an error: they get a HEAD instead. */
const refusesSelfMount = new WeakSet<object>();

/**
 * Does the target repository hold the blob? Asked as a mount from the repository itself, which answers and
 * opens the upload in one request: 201 means it holds the blob, 202 hands over the session the copy uploads
 * into (one request per missing blob instead of a HEAD and a POST). A registry that answers that mount with a
 * 4xx other than 401 or 429 is asked with a HEAD from then on, as is every registry the mount is not for.
 */
async function probeRepository(c: BlobCopyContext, desc: Descriptor): Promise<'exists' | UploadSession | undefined> {
  if (!refusesSelfMount.has(c.dst)) {
    try {
      const r = await mountBlob(c.dst, c.dstRepo, desc.digest, c.dstRepo, { signal: c.signal });
      return r.mounted ? 'exists' : r;
    } catch (e) {
      const status = isFerryError(e) ? e.context.status : undefined;
      if (c.signal?.aborted || status === undefined || status < 400 || status >= 500 || status === 401 || status === 429) throw e;
      refusesSelfMount.add(c.dst);
      c.dst.logger.info({ registry: c.dst.registry, repository: c.dstRepo, digest: desc.digest, status }, 'registry refused a blob mount from the repository itself; checking blobs with HEAD instead');
    }
  }
  return (await headBlob(c.dst, c.dstRepo, desc.digest, { signal: c.signal, push: true })) !== undefined ? 'exists' : undefined;
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
      const again = err.retryable || err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH';
      if (!again || attempt >= attempts || c.signal?.aborted) throw err;
      c.events({ type: 'blob-retry', digest: desc.digest, attempt, error: err.message });
      await c.dst.clock.sleep(backoffDelay(attempt, c.dst.backoff, c.dst.random), c.signal);
    }
  }
}

/** One attempt: source (resumable) → verify → upload, all streaming, with progress events. */
async function stream(c: BlobCopyContext, desc: Descriptor, session: UploadSession, mode: UploadMode | undefined): Promise<void> {
  const ctx = { registry: c.src.registry, repository: c.srcRepo, digest: desc.digest };
  c.events({ type: 'blob-started', digest: desc.digest, size: desc.size, repository: c.dstRepo });
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
  const uploading = uploadBlob(c.dst, c.dstRepo, session, desc, verify, { mode, signal: c.signal }).catch(fail);
  const piping = pipeline(source, verify).catch(fail);
  await Promise.allSettled([uploading, piping]);
  if (first !== undefined) throw first;
}
