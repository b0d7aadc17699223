import { FerryError } from '../errors.js';
import { safeText } from '../safe-text.js';
import type { FetchFn } from './types.js';

/** Longest Hub or Harbor API response body read (default 8 MiB); a longer one fails the listing. */
export const MAX_API_BODY_BYTES = 8 * 1024 * 1024;
/** Most repositories one Hub or Harbor listing may return (as `_catalog`'s cap); more fails the listing. */
export const MAX_API_REPOSITORIES = 100_000;

/** GET/POST JSON from a registry's side API (Hub, Harbor); errors name the API and status, never credentials. */
export async function fetchJson(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  what: string,
  maxBytes: number = MAX_API_BODY_BYTES,
): Promise<{ body: unknown; headers: Headers }> {
  let res: Response;
  try {
    // never followed: a 307 would resend the login body (the password) wherever it points
    res = await fetchFn(url, { redirect: 'error', ...init });
  } catch (e) {
    throw new FerryError('NETWORK_ERROR', `${what}: cannot reach ${new URL(url).origin}: ${safeText(e instanceof Error ? e.message : String(e))}`, {}, { cause: e });
  }
  const where = url.replace(/\?.*$/, '');
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const code = res.status === 401 ? 'UNAUTHORIZED' : res.status === 403 ? 'DENIED' : res.status === 404 ? 'NOT_FOUND' : res.status === 429 ? 'RATE_LIMITED' : 'REGISTRY_ERROR';
    throw new FerryError(code, `${what}: ${init.method ?? 'GET'} ${where} answered ${res.status}`, { status: res.status });
  }
  const text = await readText(res, maxBytes, () => new FerryError('RESPONSE_INVALID', `${what}: ${where} sent more than ${maxBytes} bytes; refusing it`));
  try {
    return { body: JSON.parse(text) as unknown, headers: res.headers };
  } catch {
    throw new FerryError('RESPONSE_INVALID', `${what}: ${where} sent invalid JSON`);
  }
}

/** Reads a response body as UTF-8, failing (and cancelling the rest) once it passes `maxBytes`. */
async function readText(res: Response, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Fails a Hub or Harbor listing that goes over `MAX_API_REPOSITORIES`. */
export function checkRepositoryCount(count: number, what: string, max: number = MAX_API_REPOSITORIES): void {
  if (count > max) {
    throw new FerryError('RESPONSE_INVALID', `${what}: more than ${max} repositories; ferry refuses listings over this cap (a broken or hostile API?)`);
  }
}
