import type { Readable } from 'node:stream';
import { FerryError, type ErrorContext } from '../errors.js';
import type { RegistryClient } from './client.js';
import { scopesFor, type AccessScope, type BlobRef } from './refs.js';
import type { RetryBudget } from './retry-budget.js';
import { drain, hasUserinfo, header, redactUrl } from './transport/http.js';
import { blobPath, uploadsPath } from './paths.js';

/** HEAD a blob: its size when the repository holds it, undefined when not. */
export async function headBlob(
  client: RegistryClient,
  ref: BlobRef,
  scope: AccessScope,
  opts: { signal?: AbortSignal; budget?: RetryBudget } = {},
): Promise<number | undefined> {
  const { repository, digest } = ref;
  const res = await client.send({
    method: 'HEAD',
    path: blobPath(repository, digest),
    scopes: scopesFor(repository, scope),
    expect: [200, 404],
    followRedirects: true,
    context: { registry: client.registry, repository, digest },
    signal: opts.signal,
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
  await drain(res.body);
  if (res.status === 404) return undefined;
  const len = Number(header(res, 'content-length'));
  return Number.isFinite(len) ? len : -1;
}

export interface BlobStream {
  body: Readable;
  /** the offset the body starts at (0 unless a Range request was honoured) */
  offset: number;
  /** the body's Content-Length, when the registry sent one */
  length?: number;
}

/**
 * GET a blob as a stream, following redirects (a CDN or S3 host never receives the registry's credentials).
 * With `offset`, asks for the rest with Range; a 200 answer means the server ignored it (offset 0).
 */
export async function openBlob(client: RegistryClient, ref: BlobRef, opts: { signal?: AbortSignal; offset?: number; budget?: RetryBudget } = {}): Promise<BlobStream> {
  const { repository, digest } = ref;
  const headers: Record<string, string> = {};
  if (opts.offset) headers.range = `bytes=${opts.offset}-`;
  const ctx: ErrorContext = { registry: client.registry, repository, digest };
  const res = await client.send({
    method: 'GET',
    path: blobPath(repository, digest),
    scopes: scopesFor(repository, 'pull'),
    headers,
    expect: [200, 206],
    followRedirects: true,
    context: ctx,
    signal: opts.signal,
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
  if (res.status === 206) {
    const m = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
    const start = m ? Number(m[1]) : NaN;
    if (start !== opts.offset) {
      await drain(res.body);
      throw new FerryError('RESPONSE_INVALID', `registry ${client.registry} answered a Range request for blob ${digest} with the wrong range`, ctx);
    }
    return { body: res.body, offset: start, ...lengthOf(res) };
  }
  return { body: res.body, offset: 0, ...lengthOf(res) };
}

function lengthOf(res: { headers: Record<string, string | string[] | undefined> }): { length?: number } {
  const v = header(res, 'content-length');
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? { length: n } : {};
}

/**
 * Cross-repository mount. Returns 'mounted', or the upload location the registry opened instead (202),
 * which the caller continues with rather than starting another session. With `from` equal to `repository`
 * it asks whether the repository holds the blob and opens an upload in one request (201: it does).
 */
export async function mountBlob(
  client: RegistryClient,
  ref: BlobRef,
  from: string,
  opts: { signal?: AbortSignal; budget?: RetryBudget } = {},
): Promise<{ mounted: true } | { mounted: false; location: string; chunkMin: number }> {
  const { repository, digest } = ref;
  const q = new URLSearchParams({ mount: digest, from });
  const res = await client.send({
    method: 'POST',
    path: `${uploadsPath(repository)}?${q.toString()}`,
    // A mount from the repository itself needs no second scope (and so no token of its own).
    scopes: from === repository ? scopesFor(repository, 'push') : [...scopesFor(repository, 'push'), ...scopesFor(from, 'pull')],
    headers: { 'content-length': '0' },
    expect: [201, 202],
    context: { registry: client.registry, repository, digest },
    signal: opts.signal,
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
  await drain(res.body);
  if (res.status === 201) return { mounted: true };
  return { mounted: false, ...uploadLocation(client, res, repository) };
}

export function uploadLocation(
  client: RegistryClient,
  res: { headers: Record<string, string | string[] | undefined>; url: string },
  repository: string,
): { location: string; chunkMin: number } {
  const loc = header(res, 'location');
  if (!loc) {
    throw new FerryError('RESPONSE_INVALID', `registry ${client.registry} started an upload in ${repository} without a Location header`, {
      registry: client.registry,
      repository,
    });
  }
  let url: URL;
  try {
    url = new URL(loc, res.url);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || hasUserinfo(url)) {
    // userinfo would be sent by no one and logged by some; anything but http(s) cannot be an upload
    throw new FerryError('RESPONSE_INVALID', `registry ${client.registry} started an upload in ${repository} with an unusable Location (${redactUrl(loc)}): it must be an http(s) URL without user:password@`, {
      registry: client.registry,
      repository,
    });
  }
  return { location: url.href, chunkMin: Number(header(res, 'oci-chunk-min-length') ?? 0) || 0 };
}
