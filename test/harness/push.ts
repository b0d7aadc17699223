/**
 * Push fixtures with raw `undici.request` (NOT ferry's client, so fixtures
 * stay independent of the code under test). Handles Basic and Bearer via
 * the harness auth helper.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { authorizationFor } from './auth.js';
import type { Creds, RegistryTarget } from './auth.js';
import { largeBlobStream } from './images.js';
import type { TestBlob, TestManifest } from './images.js';

export interface PushResult {
  /** Digest of the pushed top-level manifest (as returned by the registry). */
  digest: string;
}

/** Error for an unexpected HTTP status; `status` and `body` allow assertions. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, readonly headers: Record<string, unknown>, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 500)}${headers['www-authenticate'] ? ` (www-authenticate: ${String(headers['www-authenticate'])})` : ''}`);
    this.name = 'HttpError';
  }
}

interface Ctx {
  target: RegistryTarget;
  authorization: string | undefined;
}

async function ctxFor(target: RegistryTarget, repo: string, creds?: Creds): Promise<Ctx> {
  return { target, authorization: await authorizationFor(target, [`repository:${repo}:pull,push`], creds) };
}

async function call(
  ctx: Ctx, method: Dispatcher.HttpMethod, url: string, what: string, expect: number[],
  headers: Record<string, string> = {}, body?: Buffer | Readable,
): Promise<Dispatcher.ResponseData & { text: string }> {
  const h: Record<string, string> = { ...headers };
  if (ctx.authorization) h.authorization = ctx.authorization;
  const res = await request(url, {
    method, headers: h, ...(body !== undefined ? { body } : {}),
    ...(ctx.target.dispatcher ? { dispatcher: ctx.target.dispatcher } : {}),
  });
  const text = method === 'HEAD' ? '' : await res.body.text();
  if (method === 'HEAD') await res.body.dump();
  if (!expect.includes(res.statusCode)) throw new HttpError(res.statusCode, text, res.headers, `${what} (${method} ${url})`);
  return Object.assign(res, { text });
}

function location(ctx: Ctx, res: Dispatcher.ResponseData, what: string): URL {
  const loc = res.headers.location;
  if (typeof loc !== 'string') throw new Error(`${what}: no Location header`);
  return new URL(loc, ctx.target.url);
}

async function blobExists(ctx: Ctx, repo: string, digest: string): Promise<boolean> {
  const res = await call(ctx, 'HEAD', `${ctx.target.url}/v2/${repo}/blobs/${digest}`, 'blob HEAD', [200, 404]);
  return res.statusCode === 200;
}

async function uploadBlob(ctx: Ctx, repo: string, b: Pick<TestBlob, 'digest' | 'size' | 'bytes'>): Promise<void> {
  if (await blobExists(ctx, repo, b.digest)) return;
  const post = await call(ctx, 'POST', `${ctx.target.url}/v2/${repo}/blobs/uploads/`, 'start upload', [202],
    { 'content-length': '0' });
  const put = location(ctx, post, 'start upload');
  put.searchParams.set('digest', b.digest);
  await call(ctx, 'PUT', put.href, `upload ${b.digest}`, [201],
    { 'content-type': 'application/octet-stream', 'content-length': String(b.size) }, b.bytes);
}

/** Push one blob (skipped if the repo already has it): POST, then PUT ?digest= with Content-Length. */
export async function pushBlob(target: RegistryTarget, repo: string, b: Pick<TestBlob, 'digest' | 'size' | 'bytes'>, creds?: Creds): Promise<void> {
  await uploadBlob(await ctxFor(target, repo, creds), repo, b);
}

async function putManifest(ctx: Ctx, repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<string> {
  const res = await call(ctx, 'PUT', `${ctx.target.url}/v2/${repo}/manifests/${ref}`, `manifest PUT ${ref}`, [201],
    { 'content-type': mediaType, 'content-length': String(bytes.length) }, bytes);
  const d = res.headers['docker-content-digest'];
  return typeof d === 'string' ? d : '';
}

/** PUT raw manifest bytes by tag or digest; returns the registry's Docker-Content-Digest. */
export async function pushManifest(target: RegistryTarget, repo: string, ref: string, mediaType: string, bytes: Buffer, creds?: Creds): Promise<string> {
  return putManifest(await ctxFor(target, repo, creds), repo, ref, mediaType, bytes);
}

async function pushTree(ctx: Ctx, repo: string, ref: string | null, m: TestManifest): Promise<string> {
  if (m.kind === 'image') {
    for (const b of m.blobs) await uploadBlob(ctx, repo, b);
  } else {
    for (const c of m.children) await pushTree(ctx, repo, null, c);
  }
  const got = await putManifest(ctx, repo, ref ?? m.digest, m.mediaType, m.manifestBytes);
  if (got && got !== m.digest) throw new Error(`registry digest ${got} != computed ${m.digest}`);
  return m.digest;
}

/**
 * Push an image / index / artifact: blobs, then children by digest, then the
 * manifest by `tag` (or by digest when `tag` is null).
 * `creds` omitted = the target's default user; 'anonymous' = no credentials.
 */
export async function pushImage(target: RegistryTarget, repo: string, tag: string | null, m: TestManifest, creds?: Creds): Promise<PushResult> {
  const ctx = await ctxFor(target, repo, creds);
  return { digest: await pushTree(ctx, repo, tag, m) };
}

export interface PushLargeBlobOptions {
  /** Bytes per PATCH (default 16 MiB). 0 = one streamed PATCH without Content-Range (docker style). */
  chunkSize?: number;
  creds?: Creds;
}

/**
 * Push `seededBytes(seed, size)` without ever buffering it whole: POST, chunked
 * PATCHes (Content-Range, always following the newest Location), then PUT ?digest=.
 * Returns the blob descriptor for use in `makeImage({ externalLayers })`.
 */
export async function pushLargeBlob(
  target: RegistryTarget, repo: string, size: number, seed: string, o: PushLargeBlobOptions = {},
): Promise<{ digest: string; size: number }> {
  const ctx = await ctxFor(target, repo, o.creds);
  const chunkSize = o.chunkSize ?? 16 << 20;
  const hash = createHash('sha256');
  const source = largeBlobStream(size, seed)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Buffer | undefined;
  /** Pull exactly `n` bytes (hashing them) from the shared keystream, as a stream. */
  const take = (n: number): Readable => Readable.from((async function* () {
    let left = n;
    while (left > 0) {
      let piece = pending ?? (await source.next()).value as Buffer | undefined;
      pending = undefined;
      if (!piece) throw new Error('largeBlobStream ended early');
      if (piece.length > left) { pending = piece.subarray(left); piece = piece.subarray(0, left); }
      left -= piece.length;
      hash.update(piece);
      yield piece;
    }
  })());

  const post = await call(ctx, 'POST', `${target.url}/v2/${repo}/blobs/uploads/`, 'start upload', [202], { 'content-length': '0' });
  let loc = location(ctx, post, 'start upload');
  if (chunkSize === 0) {
    const res = await call(ctx, 'PATCH', loc.href, 'streamed PATCH', [202],
      { 'content-type': 'application/octet-stream' }, take(size));
    loc = location(ctx, res, 'streamed PATCH');
  } else {
    for (let start = 0; start < size; start += chunkSize) {
      const n = Math.min(chunkSize, size - start);
      const res = await call(ctx, 'PATCH', loc.href, `PATCH ${start}`, [202], {
        'content-type': 'application/octet-stream', 'content-length': String(n), 'content-range': `${start}-${start + n - 1}`,
      }, take(n));
      loc = location(ctx, res, 'PATCH');
    }
  }
  const digest = 'sha256:' + hash.digest('hex');
  loc.searchParams.set('digest', digest);
  await call(ctx, 'PUT', loc.href, 'finish upload', [201], { 'content-length': '0' });
  return { digest, size };
}
