import { FerryError, isFerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { blobDescriptors, type Descriptor, type Manifest } from '../oci/manifest.js';
import { isForeignLayer } from '../oci/media-types.js';
import { describeSelection, type PlatformSelection } from '../oci/platform.js';
import type { Digest } from '../ref/digest.js';
import { formatReference, referenceOf, type ImageRef } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { getManifest, headManifest, putManifest } from '../registry/manifests.js';
import { Semaphore } from '../registry/transport/semaphore.js';
import type { UploadMode } from '../registry/uploads.js';
import { BlobTransfers } from './blob-transfers.js';
import { SlowBlobs } from './slow-blobs.js';
import { copyBlob } from './copy-blob.js';
import { ignoreEvents, type CopyEventListener } from './events.js';
import { childrenOf, selectPlatforms } from './select-platforms.js';

/** Remembers, for filtered copies, which target digest a source digest + platform selection produced. */
export interface DigestMemo {
  get(key: string): Digest | undefined;
  set(key: string, digest: Digest): void;
}

export function memoryMemo(): DigestMemo {
  const m = new Map<string, Digest>();
  return { get: (k) => m.get(k), set: (k, d) => void m.set(k, d) };
}

export interface CopyImageOptions {
  platforms?: PlatformSelection;
  transfers?: BlobTransfers;
  /** blobs too slow twice in this run: give one per task run (default: one for this copy) */
  slowBlobs?: SlowBlobs;
  events?: CopyEventListener;
  memo?: DigestMemo;
  uploadMode?: UploadMode;
  /** whole-transfer attempts per blob when the source serves wrong bytes or the upload breaks (default 3) */
  blobAttempts?: number;
  /** blobs copied in parallel per image (default 4; registries also limit requests) */
  blobConcurrency?: number;
  /** copy foreign (non-distributable) layers too (default: skip them, the manifest still refers to them) */
  copyForeignLayers?: boolean;
  /** copy even when the target already holds the source digest */
  force?: boolean;
  /** What the caller already knows of source and target (a sync plan's answers): not asked again. Default: nothing. */
  known?: Known;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * What the source reference points at, as far as the caller knows:
 * - 'unknown': ask with a HEAD (the default);
 * - 'at': the digest a HEAD just gave;
 * - 'by-reference': no digest to go by (not asked, or the registry sent none), and no HEAD would decide anything
 *   (the target lacks the image or differs): the manifest is read by reference.
 */
export type KnownSource = { state: 'unknown' } | { state: 'at'; digest: Digest } | { state: 'by-reference' };

/**
 * What the target reference points at: 'unknown' (ask with a HEAD where it decides something; the default),
 * 'absent', or 'at' a digest. A filtered copy compares the selected image with the target by a HEAD unless the
 * target is known to be absent.
 */
export type KnownTarget = { state: 'unknown' } | { state: 'absent' } | { state: 'at'; digest: Digest };

export interface Known {
  source: KnownSource;
  target: KnownTarget;
}

const NOTHING_KNOWN: Known = { source: { state: 'unknown' }, target: { state: 'unknown' } };

export interface CopyImageResult {
  action: 'copied' | 'up-to-date';
  source: string;
  target: string;
  sourceDigest?: Digest;
  /** the digest the target reference now points at (differs from the source's when platforms were selected) */
  targetDigest: Digest;
  /** blob bytes sent over the network */
  bytes: number;
  blobs: { copied: number; mounted: number; existing: number };
  /** source manifest GETs: what Docker Hub counts as pulls */
  manifestGets: number;
  durationMs: number;
}

interface Run {
  src: RegistryClient;
  dst: RegistryClient;
  srcRef: ImageRef;
  dstRef: ImageRef;
  o: CopyImageOptions & { transfers: BlobTransfers; slowBlobs: SlowBlobs; events: CopyEventListener };
  result: CopyImageResult;
}

/**
 * Copies one image (a manifest or an index with its children) from `srcRef` to `dstRef`.
 * Decides with HEAD requests only; GETs source manifests only when a copy is needed. Blobs first, then child
 * manifests by digest, then the top-level manifest by tag last, so the tag never points at an incomplete image.
 */
export async function copyImage(src: RegistryClient, srcRef: ImageRef, dst: RegistryClient, dstRef: ImageRef, opts: CopyImageOptions = {}): Promise<CopyImageResult> {
  const started = dst.clock.now();
  const o = { ...opts, transfers: opts.transfers ?? new BlobTransfers(), slowBlobs: opts.slowBlobs ?? new SlowBlobs(), events: opts.events ?? ignoreEvents };
  const selection = o.platforms ?? { kind: 'all' };
  const source = formatReference(srcRef);
  const target = formatReference(dstRef);
  const dstReference = dstRef.tag ?? dstRef.digest ?? srcRef.tag ?? srcRef.digest;
  if (!dstReference) throw new FerryError('REFERENCE_INVALID', `target ${target} needs a tag or digest`);
  const result: CopyImageResult = { action: 'up-to-date', source, target, targetDigest: '', bytes: 0, blobs: { copied: 0, mounted: 0, existing: 0 }, manifestGets: 0, durationMs: 0 };
  const run: Run = { src, dst, srcRef, dstRef, o, result };

  const known = o.known ?? NOTHING_KNOWN;
  const head = await sourceHead(run, known.source);
  if (!head) throw notFound(src, srcRef, source);
  const memoKey = head.digest && selection.kind === 'some' ? `${head.digest}|${describeSelection(selection)}` : undefined;
  const expected = selection.kind === 'all' ? head.digest : memoKey ? o.memo?.get(memoKey) : undefined;
  if (expected && !o.force) {
    const have = selection.kind === 'all' && known.target.state !== 'unknown' ? knownDigest(known.target) : (await headManifest(dst, { repository: dstRef.repository, reference: dstReference }, 'push', { signal: o.signal }))?.digest;
    if (have === expected) {
      o.events({ type: 'image-decided', source, target, action: 'up-to-date', sourceDigest: head.digest, targetDigest: expected });
      return { ...result, sourceDigest: head.digest, targetDigest: expected, durationMs: dst.clock.now() - started };
    }
  }
  o.events({ type: 'image-decided', source, target, action: 'copy', ...(head.digest ? { sourceDigest: head.digest } : {}) });
  const top = await fetchSource(run, head.digest ?? referenceOf(srcRef), head.digest).catch((e: unknown) => {
    // not asked before: a missing source surfaces here, and says so as the HEAD would have
    throw isFerryError(e, 'NOT_FOUND') ? notFound(src, srcRef, source) : e;
  });
  result.sourceDigest = top.digest;

  const chosen = selectPlatforms(top, selection, source);
  const children = chosen.kind === 'child' ? 1 : chosen.manifest.kind === 'index' ? childrenOf(chosen.manifest).length : 0;
  o.events({ type: 'pulls-known', pulls: 1 + children });
  let final: Manifest;
  if (chosen.kind === 'child') {
    final = await fetchSource(run, chosen.descriptor.digest, chosen.descriptor.digest);
  } else {
    final = chosen.manifest;
    if (chosen.kind === 'rewritten') {
      o.events({ type: 'index-rewritten', source, sourceDigest: top.digest, digest: final.digest, platforms: describeSelection(selection) });
      o.logger?.info(
        { source, sourceDigest: top.digest, digest: final.digest, platforms: describeSelection(selection) },
        'platform selection rewrote the index: the target digest differs from the source',
      );
    }
  }
  if (selection.kind === 'some') {
    // A filtered copy whose memo was lost: the tag may already hold the selected content (unless the plan just saw it absent).
    const current = known.target.state === 'absent' ? undefined : await headManifest(dst, { repository: dstRef.repository, reference: dstReference }, 'push', { signal: o.signal });
    if (current?.digest === final.digest && !o.force) {
      if (memoKey) o.memo?.set(memoKey, final.digest);
      o.events({ type: 'image-decided', source, target, action: 'up-to-date', sourceDigest: top.digest, targetDigest: final.digest });
      return { ...result, targetDigest: final.digest, durationMs: dst.clock.now() - started };
    }
  }
  if (final.kind === 'index') {
    const limit = new Semaphore(4);
    await Promise.all(childrenOf(final).map((d) => limit.run(() => copyByDigest(run, d), o.signal)));
  } else {
    await copyBlobs(run, final);
  }
  await putManifest(dst, { repository: dstRef.repository, reference: dstReference }, final, { signal: o.signal });
  o.events({ type: 'manifest-pushed', registry: dst.registry, repository: dstRef.repository, reference: dstReference, digest: final.digest, mediaType: final.mediaType });
  if (memoKey) o.memo?.set(memoKey, final.digest);
  result.action = 'copied';
  result.targetDigest = final.digest;
  result.durationMs = dst.clock.now() - started;
  return result;
}

/** The source's digest: known, or asked with a HEAD (undefined: not found); none when it is read by reference. */
async function sourceHead(run: Run, known: KnownSource): Promise<{ digest: Digest | undefined } | undefined> {
  switch (known.state) {
    case 'at':
      return { digest: known.digest };
    case 'by-reference':
      return { digest: undefined };
    case 'unknown':
      return headManifest(run.src, { repository: run.srcRef.repository, reference: referenceOf(run.srcRef) }, 'pull', { signal: run.o.signal });
  }
}

function knownDigest(target: Exclude<KnownTarget, { state: 'unknown' }>): Digest | null {
  return target.state === 'at' ? target.digest : null;
}

function notFound(src: RegistryClient, srcRef: ImageRef, source: string): FerryError {
  const reference = referenceOf(srcRef);
  return new FerryError('NOT_FOUND', `source image ${source} not found (registry ${src.registry}, repository ${srcRef.repository}, reference ${reference})`, {
    registry: src.registry,
    repository: srcRef.repository,
    reference,
  });
}

async function fetchSource(run: Run, reference: string, expectDigest: Digest | undefined): Promise<Manifest> {
  const m = await getManifest(run.src, { repository: run.srcRef.repository, reference }, { signal: run.o.signal, ...(expectDigest ? { expectDigest } : {}) });
  run.result.manifestGets++;
  run.o.events({ type: 'manifest-fetched', registry: run.src.registry, repository: run.srcRef.repository, digest: m.digest, mediaType: m.mediaType, size: m.bytes.byteLength });
  return m;
}

/**
 * A child manifest (by digest): skipped when the target has it, else its own children/blobs then itself.
 * Shared children (one platform image in several tags' indexes) are pushed once even when copies run in parallel.
 */
async function copyByDigest(run: Run, desc: Descriptor): Promise<void> {
  await run.o.transfers.once('manifest', run.dst.registry, run.dstRef.repository, desc.digest, () => copyChild(run, desc)).result;
}

async function copyChild(run: Run, desc: Descriptor): Promise<void> {
  const { dst, dstRef, o } = run;
  const have = await headManifest(dst, { repository: dstRef.repository, reference: desc.digest }, 'push', { signal: o.signal });
  if (have) return;
  const m = await fetchSource(run, desc.digest, desc.digest);
  if (m.kind === 'index') {
    for (const child of m.body.manifests) await copyByDigest(run, child);
  } else {
    await copyBlobs(run, m);
  }
  await putManifest(dst, { repository: dstRef.repository, reference: desc.digest }, m, { signal: o.signal });
  o.events({ type: 'manifest-pushed', registry: dst.registry, repository: dstRef.repository, reference: desc.digest, digest: m.digest, mediaType: m.mediaType });
}

async function copyBlobs(run: Run, m: Extract<Manifest, { kind: 'image' }>): Promise<void> {
  const { o, result } = run;
  const blobs = blobDescriptors(m.body).filter((d) => o.copyForeignLayers || !isForeignLayer(d.mediaType));
  const unique = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  const limit = new Semaphore(o.blobConcurrency ?? 4);
  const ctx = { src: run.src, srcRepo: run.srcRef.repository, dst: run.dst, dstRepo: run.dstRef.repository, transfers: o.transfers, slow: o.slowBlobs, events: o.events, uploadMode: o.uploadMode, signal: o.signal, ...(o.blobAttempts ? { attempts: o.blobAttempts } : {}) };
  await Promise.all(
    unique.map((d) =>
      limit.run(async () => {
        const r = await copyBlob(ctx, d);
        result.bytes += r.bytes;
        if (r.outcome === 'copied') result.blobs.copied++;
        else if (r.outcome === 'mounted') result.blobs.mounted++;
        else result.blobs.existing++;
      }, o.signal),
    ),
  );
}
