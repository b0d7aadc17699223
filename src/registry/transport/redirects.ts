import { FerryError, type ErrorContext } from '../../errors.js';
import { hasUserinfo, header, redactUrl, type HttpRequest, type HttpResponse } from './http.js';

const MAX_HOPS = 5;

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * The next request after a redirect. Credentials stay with their origin: when the target's origin differs
 * from the registry endpoint's, Authorization is dropped (S3 and CDNs must never see the registry's token).
 * Refuses loops, more than 5 hops, https→http downgrades, non-http schemes and URLs with userinfo. Only bodiless requests
 * (GET/HEAD) are redirected.
 */
export function followRedirect(req: HttpRequest, res: HttpResponse, endpoint: string, seen: Set<string>, ctx: ErrorContext): HttpRequest {
  const location = header(res, 'location');
  const fail = (why: string): FerryError =>
    new FerryError('REDIRECT_INVALID', `registry ${ctx.registry ?? ''} sent a bad redirect for ${req.method} ${redactUrl(req.url)}: ${why}`, {
      ...ctx,
      status: res.status,
    });
  if (!location) throw fail(`HTTP ${res.status} without a Location header`);
  if (req.method !== 'GET' && req.method !== 'HEAD') throw fail(`ferry does not follow redirects of ${req.method} requests`);
  let next: URL;
  try {
    next = new URL(location, req.url);
  } catch {
    throw fail('the Location header is not a URL');
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') throw fail(`unsupported scheme ${next.protocol}`);
  if (hasUserinfo(next)) throw fail('the Location holds a username or password (user:password@host), which ferry never sends');
  if (new URL(req.url).protocol === 'https:' && next.protocol === 'http:') throw fail('refusing a downgrade from https to http');
  if (seen.has(next.href)) throw fail('redirect loop');
  if (seen.size > MAX_HOPS) throw fail(`more than ${MAX_HOPS} redirects`);
  seen.add(next.href);
  const headers = { ...req.headers };
  if (next.origin !== new URL(endpoint).origin) delete headers.authorization;
  return { ...req, url: next.href, headers };
}
