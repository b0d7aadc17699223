/**
 * The typed errors of unexpected registry responses: the status mapped to a stable code (errors.ts), the
 * registry's own error body summarised, and what to do about it.
 */
import { codeForHttpStatus, describeWhere, FerryError, type ErrorContext } from '../errors.js';
import type { Clock } from '../clock.js';
import { parseErrorBody, summarizeRegistryError } from './error-body.js';
import { header, readBody, redactUrl, type BodyPace, type HttpRequest, type HttpResponse } from './transport/http.js';
import type { LowSpeedLimit } from './transport/low-speed.js';
import { parseRetryAfter } from './transport/retry.js';

export interface ResponseErrorOptions {
  registry: string;
  clock: Clock;
  lowSpeed: LowSpeedLimit;
  /** whether credentials are configured for the registry (the advice for a 401 differs) */
  hasCredentials: () => Promise<boolean>;
  /** the scopes the request asked for (named in the advice for a 403) */
  scopes: string[];
}

/** Builds the typed error for an unexpected response (reads at most 64 KiB of its body). */
export async function responseError(res: HttpResponse, ctx: ErrorContext, o: ResponseErrorOptions): Promise<FerryError> {
  let text = '';
  try {
    // a trickling error body is cut at the low-speed limit: the status speaks for it then
    const pace: BodyPace = { limit: o.lowSpeed, now: () => o.clock.now(), onTooSlow: () => new Error('slow') };
    text = (await readBody(res.body, 64 * 1024, () => new Error('large'), pace)).toString('utf8');
  } catch {
    /* an unreadable error body leaves the status to speak */
  }
  const parsed = parseErrorBody(header(res, 'content-type'), text);
  const summary = summarizeRegistryError(res.status, parsed);
  const registryCode = parsed.errors[0]?.code;
  const code = codeForHttpStatus(res.status);
  const where = [`registry ${o.registry}`, ctx.repository && `repository ${ctx.repository}`, ctx.reference && `reference ${ctx.reference}`]
    .filter(Boolean)
    .join(', ');
  let advice = '';
  if (code === 'UNAUTHORIZED') {
    advice = (await o.hasCredentials())
      ? '; the credentials were rejected: check the username and password (or token) configured for this registry'
      : '; no credentials are configured for this registry: add them (auth, --creds, or the Docker config)';
    // Docker Hub answers 401, not 404, for a repository that does not exist or that the account cannot read.
    if (o.registry === 'docker.io' && ctx.repository) advice += `; on Docker Hub this also means the repository ${ctx.repository} may not exist: check its name`;
  } else if (code === 'DENIED') {
    advice = `; the credentials lack permission (${o.scopes.join(' ') || 'access'}): grant it, e.g. push for a Harbor robot account`;
  } else if (code === 'RATE_LIMITED') {
    advice = '; the registry is limiting requests: wait, authenticate, or lower the request rate';
  }
  const retryAfterMs = parseRetryAfter(header(res, 'retry-after'), o.clock.now());
  // an empty body (always, for a HEAD) leaves the summary at "HTTP <status>": say it once
  const status = summary === `HTTP ${res.status}` ? summary : `HTTP ${res.status} ${summary}`;
  return new FerryError(code, `${ctx.method ?? ''} failed for ${where}: ${status}${advice}`.trim(), {
    ...ctx,
    status: res.status,
    ...(registryCode ? { registryCode } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** The error for a 401 that came from an origin other than the registry's own. */
export function foreignChallenge(registry: string, origin: string, req: HttpRequest, ctx: ErrorContext): FerryError {
  return new FerryError(
    'UNAUTHORIZED',
    `${req.method} failed for ${describeWhere({ registry, ...ctx })}: ${redactUrl(req.url)} (outside the registry's origin ${origin}) answered HTTP 401 and asks for credentials; ferry sends credentials only to the registry's own origin, so the request fails. The registry redirected or linked there: check the registry's storage/CDN configuration`,
    { ...ctx, status: 401 },
  );
}

