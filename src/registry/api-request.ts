/**
 * JSON requests to a registry's side API (Docker Hub's repository API, Harbor's project API, an index search)
 * through a registry session: its transport (TLS settings, certs-dir, client certificate), its limits, its retries
 * of 5xx/429/network failures, and the HTTP status → error code mapping of errors.ts all apply. The session's own
 * authentication does not: these APIs have their own login, so the caller gives the Authorization header it needs,
 * and a 401 is an answer, not a challenge the session would try to meet with registry tokens.
 */
import { FerryError, type ErrorCode } from '../errors.js';
import { safeText } from '../safe-text.js';
import type { RegistryClient } from './client.js';
import { header, readBody, redactUrl, type BodyPace } from './transport/http.js';
import { formatRate, formatSpan } from './transport/low-speed.js';

/** Longest side-API response body read (8 MiB); a longer one fails the request. */
export const MAX_API_BODY_BYTES = 8 * 1024 * 1024;

export interface ApiRequest {
  method: 'GET' | 'POST';
  /** absolute URL of the API (it may be on another origin than the registry's, as Hub's API is) */
  url: string;
  /** what ferry was doing, for messages: `listing Harbor project p` */
  what: string;
  /** extra headers, e.g. the API's own Authorization (never the session's) */
  headers?: Record<string, string>;
  /** a JSON body (POST) */
  json?: unknown;
  /** what to do about a failure with this code, in the words of this API (appended to the message) */
  advice?: (code: ErrorCode) => string | undefined;
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Sends one API request through `session` and parses the JSON answer. Redirects are never followed (a 307 would
 * resend a login body, the password, wherever it points). Errors keep the session's code (UNAUTHORIZED, DENIED,
 * NOT_FOUND, RATE_LIMITED, TLS_*, NETWORK_ERROR, …) and say what was being done, on which registry, and what to do;
 * they never contain the query string, a header or the request body.
 */
export async function apiJson(session: RegistryClient, r: ApiRequest): Promise<unknown> {
  const where = redactUrl(r.url).replace(/\?.*$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...r.headers };
  let body: Buffer | undefined;
  if (r.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(r.json), 'utf8');
  }
  const maxBytes = r.maxBytes ?? MAX_API_BODY_BYTES;
  const tooLarge = () => new FerryError('RESPONSE_INVALID', `${r.what}: ${where} sent more than ${maxBytes} bytes; refusing it`, { registry: session.registry });
  let text: string;
  try {
    const res = await session.send({
      method: r.method,
      path: r.url,
      scopes: [],
      headers,
      ...(body ? { body } : {}),
      expect: [200],
      followRedirects: false,
      authenticate: false,
      ...(r.signal ? { signal: r.signal } : {}),
    });
    if (Number(header(res, 'content-length') ?? NaN) > maxBytes) {
      res.body.destroy();
      throw tooLarge();
    }
    text = (await readBody(res.body, maxBytes, tooLarge, pace(session, r.what, where))).toString('utf8');
  } catch (e) {
    throw apiError(session, r, where, e);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FerryError('RESPONSE_INVALID', `${r.what}: ${where} sent invalid JSON`, { registry: session.registry });
  }
}

/** The session's error, reworded for the API: which request, on which registry, and what to do. */
function apiError(session: RegistryClient, r: ApiRequest, where: string, e: unknown): FerryError {
  if (!(e instanceof FerryError)) {
    return new FerryError('NETWORK_ERROR', `${r.what} (registry ${session.registry}): cannot reach ${originOf(r.url)}: ${safeText(e instanceof Error ? e.message : String(e))}`, { registry: session.registry }, { cause: e });
  }
  const status = e.context.status;
  if (status === undefined || e.code === 'RESPONSE_INVALID' || e.code === 'TRANSFER_TOO_SLOW') {
    // TLS, network, a refused redirect, a body too large or too slow: the session's message already says what
    return e.message.startsWith(r.what) ? e : new FerryError(e.code, `${r.what}: ${e.message}`, { ...e.context, registry: session.registry }, { cause: e });
  }
  const code = e.code;
  const advice = r.advice?.(code) ?? genericAdvice(code, status);
  return new FerryError(
    code,
    `${r.what} (registry ${session.registry}): ${r.method} ${where} answered HTTP ${status}${advice ? `; ${advice}` : ''}`,
    { registry: session.registry, status, ...(e.context.retryAfterMs !== undefined ? { retryAfterMs: e.context.retryAfterMs } : {}) },
    { cause: e },
  );
}

function genericAdvice(code: ErrorCode, status: number): string | undefined {
  if (status >= 300 && status < 400) return 'ferry does not follow redirects from this API (a login would be resent elsewhere): check the API address';
  if (code === 'RATE_LIMITED') return 'the API is limiting requests: wait, give the source credentials, or list less often (lister.cacheDuration)';
  if (code === 'REGISTRY_UNAVAILABLE' || code === 'TIMEOUT') return 'the API failed on its side (ferry retried it): try again later';
  return undefined;
}

function pace(session: RegistryClient, what: string, where: string): BodyPace {
  return {
    limit: session.lowSpeed,
    now: () => session.clock.now(),
    onTooSlow: (rate) =>
      new FerryError('TRANSFER_TOO_SLOW', `${what}: ${where} sent its answer at ${formatRate(rate)} over ${formatSpan(session.lowSpeed.timeMs)}, below the low-speed limit`, { registry: session.registry }),
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
