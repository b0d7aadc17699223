import { FerryError } from '../errors.js';
import type { FetchFn } from './types.js';

/** GET/POST JSON from a registry's side API (Hub, Harbor); errors name the API and status, never credentials. */
export async function fetchJson(fetchFn: FetchFn, url: string, init: RequestInit, what: string): Promise<{ body: unknown; headers: Headers }> {
  let res: Response;
  try {
    // never followed: a 307 would resend the login body (the password) wherever it points
    res = await fetchFn(url, { redirect: 'error', ...init });
  } catch (e) {
    throw new FerryError('NETWORK_ERROR', `${what}: cannot reach ${new URL(url).origin}: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const code = res.status === 401 ? 'UNAUTHORIZED' : res.status === 403 ? 'DENIED' : res.status === 404 ? 'NOT_FOUND' : res.status === 429 ? 'RATE_LIMITED' : 'REGISTRY_ERROR';
    throw new FerryError(code, `${what}: ${init.method ?? 'GET'} ${url.replace(/\?.*$/, '')} answered ${res.status}`, { status: res.status });
  }
  try {
    return { body: await res.json(), headers: res.headers };
  } catch {
    throw new FerryError('RESPONSE_INVALID', `${what}: ${url.replace(/\?.*$/, '')} sent invalid JSON`);
  }
}
