/** One exchange with a registry as the client reports it (rate-limit tracking, metrics, request counting). */
import type { HttpResponse } from './transport/http.js';

/** What each exchange with a registry looked like, for rate-limit tracking, metrics and request counting. */
export interface Exchange {
  registry: string;
  method: string;
  kind: RequestKind;
  url: string;
  status: number;
  headers: HttpResponse['headers'];
}
export type RequestKind = 'ping' | 'manifest' | 'blob' | 'upload' | 'tags' | 'catalog' | 'token' | 'other';

/** The kind of a request, from its URL's path (host and query ignored). */
export function kindOf(url: string): RequestKind {
  // called for every exchange: slice instead of regex replaces
  const scheme = url.indexOf('://');
  const start = scheme < 0 ? 0 : url.indexOf('/', scheme + 3);
  if (start < 0) return 'token';
  const q = url.indexOf('?', start);
  const path = url.slice(start, q < 0 ? undefined : q);
  if (path === '/v2/' || path === '/v2') return 'ping';
  if (path.includes('/manifests/')) return 'manifest';
  if (path.includes('/blobs/uploads')) return 'upload';
  if (path.includes('/blobs/')) return 'blob';
  if (path.endsWith('/tags/list')) return 'tags';
  if (path.endsWith('/_catalog')) return 'catalog';
  if (!path.startsWith('/v2/')) return 'token';
  return 'other';
}
