import type { Readable } from 'node:stream';
import { FerryError, type ErrorContext } from '../errors.js';
import type { Digest } from '../ref/digest.js';
import { repositoryScope } from './auth/scope.js';
import { scopesFor } from './refs.js';
import { uploadLocation } from './blobs.js';
import type { RegistryClient } from './client.js';
import type { RetryBudget } from './retry-budget.js';
import { drain, header } from './transport/http.js';
import { uploadsPath } from './paths.js';

/** Blobs up to this size go in one PUT with Content-Length; larger ones in one streamed PATCH, then PUT. */
export const MONOLITHIC_MAX_BYTES = 64 * 1024 * 1024;
/** Chunk size for the chunked fallback, raised to the registry's OCI-Chunk-Min-Length when it asks more. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export type UploadMode = 'auto' | 'monolithic' | 'streamed' | 'chunked';

export interface UploadSession {
  location: string;
  chunkMin: number;
}

/** Opens an upload session in `repository` (push access). */
export async function startUpload(client: RegistryClient, repository: string, opts: { signal?: AbortSignal; budget?: RetryBudget } = {}): Promise<UploadSession> {
  const res = await client.send({
    method: 'POST',
    path: uploadsPath(repository),
    scopes: scopesFor(repository, 'push'),
    headers: { 'content-length': '0' },
    expect: [202],
    context: { registry: client.registry, repository },
    signal: opts.signal,
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
  await drain(res.body);
  return uploadLocation(client, res, repository);
}

function withDigest(location: string, digest: Digest): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.href;
}

/**
 * Uploads `body` (already verified on the way by the caller's stream) into an open session and commits it
 * under `digest`. The session's newest Location is always the one used next.
 */
export async function uploadBlob(
  client: RegistryClient,
  repository: string,
  session: UploadSession,
  blob: { digest: Digest; size: number },
  body: Readable,
  opts: { mode?: UploadMode; signal?: AbortSignal; onSent?: (bytes: number) => void } = {},
): Promise<void> {
  const ctx: ErrorContext = { registry: client.registry, repository, digest: blob.digest };
  let mode = opts.mode ?? 'auto';
  if (mode === 'auto') mode = blob.size <= MONOLITHIC_MAX_BYTES ? 'monolithic' : 'streamed';
  let location = session.location;
  if (mode === 'monolithic') {
    await commit(client, repository, location, blob, body, ctx, opts.signal);
    return;
  }
  if (mode === 'streamed') {
    location = await patch(client, repository, location, body, undefined, ctx, opts.signal);
  } else {
    const size = Math.max(session.chunkMin, DEFAULT_CHUNK_BYTES);
    let offset = 0;
    for await (const chunk of chunks(body, size)) {
      const body = opts.onSent ? countedPieces(chunk, opts.onSent) : chunk;
      location = await patch(client, repository, location, body, { start: offset, end: offset + chunk.byteLength - 1 }, ctx, opts.signal);
      offset += chunk.byteLength;
    }
  }
  await commit(client, repository, location, blob, null, ctx, opts.signal);
}

async function patch(
  client: RegistryClient,
  repository: string,
  location: string,
  body: Readable | Buffer | Iterable<Uint8Array>,
  range: { start: number; end: number } | undefined,
  ctx: ErrorContext,
  signal?: AbortSignal,
): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (range) {
    headers['content-range'] = `${range.start}-${range.end}`;
    headers['content-length'] = String(range.end - range.start + 1);
  }
  const res = await client.send({
    method: 'PATCH',
    path: location,
    scopes: scopesFor(repository, 'push'),
    headers,
    body,
    expect: [202, 201, 204],
    retry: false,
    context: ctx,
    signal,
  });
  await drain(res.body);
  return header(res, 'location') ? uploadLocation(client, res, repository).location : location;
}

async function commit(
  client: RegistryClient,
  repository: string,
  location: string,
  blob: { digest: Digest; size: number },
  body: Readable | null,
  ctx: ErrorContext,
  signal?: AbortSignal,
): Promise<void> {
  const res = await client.send({
    method: 'PUT',
    path: withDigest(location, blob.digest),
    scopes: scopesFor(repository, 'push'),
    headers: { 'content-type': 'application/octet-stream', 'content-length': body ? String(blob.size) : '0' },
    body,
    expect: [201, 204],
    retry: false,
    context: ctx,
    signal,
  });
  await drain(res.body);
  const got = header(res, 'docker-content-digest');
  if (got && got.startsWith('sha256:') && blob.digest.startsWith('sha256:') && got !== blob.digest) {
    throw new FerryError('DIGEST_MISMATCH', `registry ${client.registry} stored blob ${blob.digest} in ${repository} as ${got}`, ctx);
  }
}

/** Best effort: cancels an upload session (needs delete scope on distribution; failures are ignored). */
export async function cancelUpload(client: RegistryClient, repository: string, location: string): Promise<void> {
  try {
    const res = await client.send({
      method: 'DELETE',
      path: location,
      scopes: [repositoryScope(repository, ['pull', 'push', 'delete'])],
      expect: [200, 202, 204, 401, 403, 404, 405],
      retry: false,
    });
    await drain(res.body);
  } catch {
    /* the spec says clients should ignore failures here; the registry purges stale uploads */
  }
}

/** Bytes of a chunk handed to the transport at a time when they are counted (see countedPieces). */
const PIECE_BYTES = 64 * 1024;

/**
 * A chunk as a replayable body of 64 KiB pieces, reporting each piece once the transport asks for the next:
 * undici asks only when the socket has drained, so `onSent` follows what the registry takes (a low-speed
 * limit sees a slow registry during a PATCH instead of one jump per 4 MiB chunk).
 */
function countedPieces(chunk: Buffer, onSent: (bytes: number) => void): Iterable<Uint8Array> {
  return {
    *[Symbol.iterator]() {
      for (let at = 0; at < chunk.byteLength; at += PIECE_BYTES) {
        const piece = chunk.subarray(at, at + PIECE_BYTES);
        yield piece;
        onSent(piece.byteLength);
      }
    },
  };
}

/** Re-chunks a stream into buffers of exactly `size` bytes (the last may be shorter). */
export async function* chunks(body: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of body) {
    let b = c as Buffer;
    while (b.byteLength > 0) {
      const take = Math.min(size - have, b.byteLength);
      parts.push(b.subarray(0, take));
      have += take;
      b = b.subarray(take);
      if (have === size) {
        yield Buffer.concat(parts, have);
        parts = [];
        have = 0;
      }
    }
  }
  if (have > 0) yield Buffer.concat(parts, have);
}
