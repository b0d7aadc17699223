import { FerryError, isFerryError, type ErrorContext } from '../errors.js';
import { canVerify, digestAlgorithm, digestOf, isDigest, type Digest } from '../ref/digest.js';
import { parseManifest, type Manifest } from '../oci/manifest.js';
import { baseMediaType, MANIFEST_ACCEPT } from '../oci/media-types.js';
import type { RegistryClient } from './client.js';
import { scopesFor, type AccessScope, type ManifestRef } from './refs.js';
import { drain, header, type HttpResponse } from './transport/http.js';
import { manifestPath } from './paths.js';

/** Manifests larger than this are refused (distribution's own limit; the spec's minimum). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ManifestHead {
  digest: Digest;
  mediaType: string;
  size: number;
}

function where(client: RegistryClient, ref: ManifestRef): ErrorContext {
  return { registry: client.registry, repository: ref.repository, reference: ref.reference };
}

/**
 * HEAD a manifest: its digest without downloading it (free on Docker Hub). Undefined when it does not exist.
 * `digest` is undefined when the registry sent no Docker-Content-Digest (then only a GET can tell).
 */
export async function headManifest(
  client: RegistryClient,
  ref: ManifestRef,
  scope: AccessScope,
  opts: { signal?: AbortSignal } = {},
): Promise<(Omit<ManifestHead, 'digest'> & { digest: Digest | undefined }) | undefined> {
  const { repository, reference } = ref;
  const res = await client.send({
    method: 'HEAD',
    path: manifestPath(repository, reference),
    scopes: scopesFor(repository, scope),
    headers: { accept: MANIFEST_ACCEPT },
    expect: [200, 404],
    context: where(client, ref),
    signal: opts.signal,
  });
  await drain(res.body);
  if (res.status === 404) return undefined;
  const digest = header(res, 'docker-content-digest');
  const d = digest && isDigest(digest) ? digest : isDigest(reference) ? reference : undefined;
  return { digest: d, mediaType: baseMediaType(header(res, 'content-type')), size: Number(header(res, 'content-length') ?? -1) };
}

/**
 * GET a manifest (with pull access: only sources are read), keeping its exact bytes. Verifies the digest (the requested one, else the announced one),
 * the mediaType/Content-Type agreement and the size cap; refuses schema1.
 */
export async function getManifest(client: RegistryClient, ref: ManifestRef, opts: { signal?: AbortSignal; expectDigest?: Digest } = {}): Promise<Manifest> {
  const { repository, reference } = ref;
  const ctx = where(client, ref);
  const gate = client.manifestGate;
  const info = { registry: client.registry, repository, reference };
  for (;;) {
    try {
      const { res, bytes } = await client.fetchBody(
        {
          method: 'GET',
          path: manifestPath(repository, reference),
          scopes: scopesFor(repository, 'pull'),
          headers: { accept: MANIFEST_ACCEPT },
          expect: [200],
          context: ctx,
          signal: opts.signal,
          ...(gate ? { rateLimited: 'throw' as const } : {}),
        },
        MAX_MANIFEST_BYTES,
        () => tooLarge(client, ctx),
        gate && (() => gate.beforePull(info, opts.signal)),
      );
      return verifyAndParse(res, bytes, reference, opts.expectDigest, ctx);
    } catch (e) {
      // Docker Hub's 429 (no Retry-After) means the pull budget ran out: the gate waits for it, then we try again.
      // That wait is for quota, not a retry of a failure: the GET after it starts with a fresh retry budget.
      if (gate && isFerryError(e, 'RATE_LIMITED') && !opts.signal?.aborted && gate.onRateLimited(info, e)) continue;
      throw e;
    }
  }
}

function verifyAndParse(res: HttpResponse, bytes: Buffer, reference: string, expectDigest: Digest | undefined, ctx: ErrorContext): Manifest {
  const announced = header(res, 'docker-content-digest');
  const expected = expectDigest ?? (isDigest(reference) ? reference : undefined);
  const digest = verifyManifestDigest(bytes, expected, announced, ctx);
  return parseManifest(bytes, header(res, 'content-type') ?? '', digest, ctx);
}

function tooLarge(client: RegistryClient, ctx: ErrorContext): FerryError {
  return new FerryError(
    'MANIFEST_TOO_LARGE',
    `manifest in registry ${client.registry}, repository ${ctx.repository}, reference ${ctx.reference} is larger than ${MAX_MANIFEST_BYTES} bytes; refusing it`,
    ctx,
  );
}

/** The digest of manifest bytes, checked against what was asked for and what the registry announced. */
export function verifyManifestDigest(bytes: Uint8Array, expected: Digest | undefined, announced: string | undefined, ctx: ErrorContext): Digest {
  const mismatch = (what: string, want: string, got: string): FerryError =>
    new FerryError(
      'DIGEST_MISMATCH',
      `manifest bytes from registry ${ctx.registry}, repository ${ctx.repository}, reference ${ctx.reference} do not match the ${what} digest ${want} (computed ${got}); the registry or something between is corrupting data`,
      { ...ctx, digest: want },
    );
  if (expected) {
    if (!canVerify(expected)) return expected;
    const got = digestOf(bytes, digestAlgorithm(expected));
    if (got !== expected) throw mismatch('requested', expected, got);
    return expected;
  }
  const computed = digestOf(bytes, 'sha256');
  if (announced && isDigest(announced) && canVerify(announced)) {
    const got = digestOf(bytes, digestAlgorithm(announced));
    if (got !== announced) throw mismatch('announced', announced, got);
    return announced.startsWith('sha256:') ? computed : announced;
  }
  return computed;
}

/** PUT manifest bytes unchanged, by tag or digest (push access); checks the digest the registry computed. */
export async function putManifest(
  client: RegistryClient,
  ref: ManifestRef,
  manifest: { bytes: Uint8Array; mediaType: string; digest: Digest },
  opts: { signal?: AbortSignal } = {},
): Promise<Digest> {
  const { repository, reference } = ref;
  const ctx = where(client, ref);
  const res = await client.send({
    method: 'PUT',
    path: manifestPath(repository, reference),
    scopes: scopesFor(repository, 'push'),
    headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.bytes.byteLength) },
    body: manifest.bytes,
    expect: [200, 201, 202],
    context: ctx,
    signal: opts.signal,
  });
  await drain(res.body);
  const got = header(res, 'docker-content-digest');
  if (got && isDigest(got) && got.startsWith('sha256:') && manifest.digest.startsWith('sha256:') && got !== manifest.digest) {
    throw new FerryError(
      'DIGEST_MISMATCH',
      `registry ${client.registry} stored manifest ${repository}:${reference} under digest ${got}, expected ${manifest.digest}; the registry altered the manifest`,
      { ...ctx, digest: manifest.digest },
    );
  }
  return manifest.digest;
}
