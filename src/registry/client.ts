import type { Readable } from 'node:stream';
import { FerryError, type ErrorContext } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../clock.js';
import { Authenticator } from './auth/authenticator.js';
import { anonymous, type CredentialSource } from './auth/credentials.js';
import { kindOf, type Exchange } from './exchange.js';
import { foreignChallenge, responseError } from './response-error.js';
import { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter, type BackoffPolicy } from './transport/retry.js';
import { createDispatcher, drain, hasUserinfo, header, readBody, redactUrl, transportError, undiciHttp, type BodyPace, type HttpFn, type HttpRequest, type HttpResponse, type TransportOptions } from './transport/http.js';
import { DEFAULT_LOW_SPEED, formatRate, formatSpan, type LowSpeedLimit } from './transport/low-speed.js';
import { followRedirect, isRedirect } from './transport/redirects.js';
import { RateLimiter, Semaphore } from './transport/semaphore.js';

export const USER_AGENT = 'ferry/0.1';

export { kindOf, type Exchange, type RequestKind } from './exchange.js';

/** Where a manifest GET (a pull on Docker Hub) happens. */
export interface PullInfo {
  registry: string;
  repository: string;
  reference: string;
}

/**
 * Consulted around every manifest GET (see `getManifest`): a pull budget waits in `beforePull` while the
 * registry's quota is at its reserve, and `onRateLimited` decides whether a 429 the client did not retry
 * (no Retry-After, or one beyond `maxRetryAfterMs`) means "wait for the budget and try again" (true) or fail.
 */
export interface ManifestGate {
  beforePull(info: PullInfo, signal?: AbortSignal): Promise<void>;
  onRateLimited(info: PullInfo, err: FerryError): boolean;
}

/** Retry-After values above this are not slept through inside a request (default 15 minutes). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 15 * 60_000;

export interface RegistryClientOptions {
  /** canonical registry name, used in messages and as the identity of this registry */
  registry: string;
  /** API base URL, scheme and authority only: https://registry-1.docker.io */
  endpoint: string;
  credentials?: CredentialSource;
  transport?: TransportOptions;
  /** injected transport for the registry (default: undici with `transport` options) */
  http?: HttpFn;
  /** transport for token realms on other origins (default: undici, verified TLS) */
  httpForRealm?: (url: string) => HttpFn;
  clock?: Clock;
  logger?: Logger;
  /** concurrent requests waiting for response headers (default 8) */
  maxConcurrency?: number;
  requestsPerSecond?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  userAgent?: string;
  onExchange?: (e: Exchange) => void;
  /** a Retry-After longer than this fails the request at once (RATE_LIMITED with retryAfterMs) instead of sleeping */
  maxRetryAfterMs?: number;
  /** consulted around manifest GETs (pull budget) */
  manifestGate?: ManifestGate;
  /** blob bodies moving slower than this fail as TRANSFER_TOO_SLOW (default: below 1 KiB/s over 60 s) */
  lowSpeed?: LowSpeedLimit;
}

export interface SendOptions {
  method: HttpRequest['method'];
  /** path below the endpoint (`/v2/...`) or an absolute URL on the registry (upload locations) */
  path: string;
  scopes: string[];
  headers?: Record<string, string>;
  /** a Buffer (or an Iterable) is replayable (retries allowed); a stream is sent once */
  body?: Uint8Array | Readable | Iterable<Uint8Array> | null;
  /** statuses returned to the caller; anything else becomes a typed error */
  expect: number[];
  /** whether the request may be repeated on network errors and retryable statuses (default: no body stream) */
  retry?: boolean;
  followRedirects?: boolean;
  context?: ErrorContext;
  signal?: AbortSignal;
  /** 'throw': a 429 without Retry-After fails at once (a pull budget decides what to do) instead of backing off */
  rateLimited?: 'retry' | 'throw';
  /** false: this session adds no Authorization and answers no 401 (side APIs with their own login: Hub, Harbor) */
  authenticate?: boolean;
}

const ABSOLUTE_URL = /^https?:\/\//;

const defaultRealmHttp = (() => {
  let http: HttpFn | undefined;
  return () => (http ??= undiciHttp(createDispatcher()));
})();

/**
 * One registry: its endpoint, transport, credentials and limits. Every request goes through `send`, which adds
 * authentication, follows redirects safely, retries what may be retried, and turns failures into typed errors.
 */
export class RegistryClient {
  readonly registry: string;
  readonly endpoint: string;
  private readonly origin: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly auth: Authenticator;
  private readonly http: HttpFn;
  private readonly limiter: Semaphore;
  private readonly rate: RateLimiter | undefined;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly maxRetryAfterMs: number;
  readonly manifestGate: ManifestGate | undefined;
  readonly lowSpeed: LowSpeedLimit;
  private readonly userAgent: string;
  private readonly onExchange: ((e: Exchange) => void) | undefined;
  private readonly dispatcherClose: (() => Promise<void>) | undefined;
  /** the transport with `onExchange` watching, built once */
  private readonly exchange: HttpFn;

  constructor(o: RegistryClientOptions) {
    this.registry = o.registry;
    this.endpoint = o.endpoint.replace(/\/+$/, '');
    const endpointUrl = new URL(this.endpoint);
    if (hasUserinfo(endpointUrl)) {
      throw new FerryError('CONFIG_INVALID', `registry ${o.registry}: userinfo (user:password@) is not allowed in an endpoint; give credentials separately`, { registry: o.registry });
    }
    this.origin = endpointUrl.origin;
    this.logger = o.logger ?? silentLogger;
    this.clock = o.clock ?? systemClock;
    if (o.http) this.http = o.http;
    else {
      const dispatcher = createDispatcher(o.transport);
      this.http = undiciHttp(dispatcher);
      this.dispatcherClose = () => dispatcher.close();
    }
    this.limiter = new Semaphore(o.maxConcurrency ?? 8);
    this.rate = o.requestsPerSecond ? new RateLimiter(o.requestsPerSecond, this.clock) : undefined;
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.random = o.random ?? Math.random;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.manifestGate = o.manifestGate;
    this.lowSpeed = o.lowSpeed ?? DEFAULT_LOW_SPEED;
    this.userAgent = o.userAgent ?? USER_AGENT;
    this.onExchange = o.onExchange;
    this.exchange = this.observed(this.http);
    const realmHttp = o.httpForRealm ?? defaultRealmHttp;
    this.auth = new Authenticator({
      registry: this.registry,
      endpoint: this.endpoint,
      credentials: o.credentials ?? anonymous,
      http: this.observed(this.http),
      httpForRealm: (url) => this.observed(realmHttp(url)),
      clock: this.clock,
      logger: this.logger,
      userAgent: this.userAgent,
    });
  }

  async close(): Promise<void> {
    await this.dispatcherClose?.();
  }

  url(path: string): string {
    return ABSOLUTE_URL.test(path) ? path : `${this.endpoint}${path}`;
  }

  /** Sends a request and returns the response (body unread) when its status is expected; throws otherwise. */
  async send(o: SendOptions): Promise<HttpResponse> {
    const replayable = !(o.body && typeof (o.body as Readable).pipe === 'function');
    const mayRetry = (o.retry ?? true) && replayable;
    const ctx: ErrorContext = { registry: this.registry, method: o.method, ...o.context };
    let scopes = o.scopes;
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.once(o, scopes, ctx);
      } catch (e) {
        const err = e instanceof FerryError ? e : new FerryError('NETWORK_ERROR', String(e), ctx, { cause: e });
        if (mayRetry && err.retryable && attempt < this.backoff.attempts && !o.signal?.aborted) {
          await this.pause(attempt, undefined, err, o);
          continue;
        }
        throw err;
      }
      if (res.status === 401 && !authRetried && replayable && o.authenticate !== false) {
        let next: ReturnType<Authenticator['onUnauthorized']>;
        try {
          next = this.auth.onUnauthorized(res, scopes);
        } catch (e) {
          await drain(res.body); // a refused challenge (e.g. a header over 8 KiB) must not hold the connection
          throw e;
        }
        if (next) {
          await drain(res.body);
          authRetried = true;
          scopes = next;
          attempt--;
          continue;
        }
      }
      if (o.expect.includes(res.status)) return res;
      const after = parseRetryAfter(header(res, 'retry-after'), this.clock.now());
      if (after !== undefined && after > this.maxRetryAfterMs && isRetryableStatus(res.status)) {
        // An absurd Retry-After (hours): do not hold a request open for it; the caller (or pull budget) decides.
        const err = await this.errorFrom(res, ctx, scopes);
        throw new FerryError(
          err.code,
          `${err.message}; it asks to retry after ${Math.round(after / 1000)} s, more than the ${Math.round(this.maxRetryAfterMs / 1000)} s ferry waits within a request`,
          err.context,
        );
      }
      const giveUp = res.status === 429 && after === undefined && o.rateLimited === 'throw';
      if (mayRetry && !giveUp && isRetryableStatus(res.status) && attempt < this.backoff.attempts) {
        await drain(res.body);
        await this.pause(attempt, after, undefined, o);
        continue;
      }
      throw await this.errorFrom(res, ctx, scopes);
    }
  }

  /**
   * `send` plus reading the whole body (at most `limit` bytes), repeating the request when the body breaks off
   * (reset, truncation, stall) within the retry budget. `before` runs before each attempt (a pull budget).
   */
  async fetchBody(o: SendOptions, limit: number, onTooLarge: () => Error, before?: () => Promise<void>): Promise<{ res: HttpResponse; bytes: Buffer }> {
    let slow = 0;
    for (let attempt = 1; ; attempt++) {
      await before?.();
      const res = await this.send(o);
      let tooLarge: Error | undefined;
      try {
        return { res, bytes: await readBody(res.body, limit, () => (tooLarge = onTooLarge()), this.bodyPace(o)) };
      } catch (e) {
        if (tooLarge) throw tooLarge;
        const err = e instanceof FerryError ? e : transportError(e, { method: o.method, url: redactUrl(this.url(o.path)) });
        // too slow: retried once, as blobs are; a second slow answer means a slow server
        if (err.code === 'TRANSFER_TOO_SLOW' && (++slow >= 2 || o.signal?.aborted)) throw err;
        if ((!err.retryable && err.code !== 'TRANSFER_TOO_SLOW') || attempt >= this.backoff.attempts || o.signal?.aborted) throw err;
        await this.pause(attempt, undefined, err, o);
      }
    }
  }

  private bodyPace(o: SendOptions): BodyPace {
    const ctx = { registry: this.registry, method: o.method, ...o.context };
    const what = [ctx.repository && `repository ${ctx.repository}`, ctx.reference && `reference ${ctx.reference}`].filter(Boolean).join(', ');
    return {
      limit: this.lowSpeed,
      now: () => this.clock.now(),
      onTooSlow: (rate) =>
        new FerryError(
          'TRANSFER_TOO_SLOW',
          `${o.method} ${redactUrl(o.path)} from registry ${this.registry}${what ? `, ${what}` : ''} arrived at ${formatRate(rate)} over ${formatSpan(this.lowSpeed.timeMs)}, below the low-speed limit of ${this.lowSpeed.bytesPerSecond} B/s`,
          { ...ctx, direction: 'download', bytesPerSecond: Math.floor(rate), lowSpeedLimit: this.lowSpeed.bytesPerSecond, lowSpeedTimeMs: this.lowSpeed.timeMs },
        ),
    };
  }

  private async pause(attempt: number, retryAfterMs: number | undefined, err: FerryError | undefined, o: SendOptions): Promise<void> {
    const delay = retryAfterMs ?? backoffDelay(attempt, this.backoff, this.random);
    this.logger.debug({ registry: this.registry, method: o.method, path: redactUrl(o.path), attempt, delayMs: delay, error: err?.message }, 'retrying request');
    await this.clock.sleep(delay, o.signal);
  }

  /** One attempt: limits, authentication, the exchange, and redirects. */
  private async once(o: SendOptions, scopes: string[], ctx: ErrorContext): Promise<HttpResponse> {
    if (this.rate) await this.rate.take(o.signal);
    const release = await this.limiter.acquire(o.signal);
    try {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...o.headers };
      const url = this.url(o.path);
      // Credentials go only to the registry's own origin, even when an upload Location points elsewhere (a
      // relative path is the registry's own; only an absolute URL, left as it was, needs parsing).
      if (o.authenticate !== false && (url !== o.path || new URL(url).origin === this.origin)) {
        const authorization = await this.auth.authorization(scopes, o.signal);
        if (authorization) headers.authorization = authorization;
      }
      let req: HttpRequest = { method: o.method, url, headers, body: o.body ?? null, signal: o.signal };
      let res = await this.exchange(req);
      if (o.followRedirects) {
        const seen = new Set<string>([req.url]);
        while (isRedirect(res.status)) {
          await drain(res.body);
          req = followRedirect(req, res, this.endpoint, seen, ctx);
          res = await this.exchange(req);
        }
      }
      if (res.status === 401 && o.authenticate !== false && originOf(req.url) !== this.origin) {
        // A 401 from another origin (a CDN behind a redirect, an upload Location, a pagination link elsewhere) is
        // never answered with credentials, and changes no auth state: its challenge could name any token realm.
        await drain(res.body);
        throw foreignChallenge(this.registry, this.origin, req, ctx);
      }
      return res;
    } finally {
      release();
    }
  }

  private observed(http: HttpFn): HttpFn {
    if (!this.onExchange) return http;
    const notify = this.onExchange;
    return async (req) => {
      const res = await http(req);
      notify({ registry: this.registry, method: req.method, kind: kindOf(req.url), url: req.url, status: res.status, headers: res.headers });
      return res;
    };
  }

  /** Builds the typed error for an unexpected response (reads at most 64 KiB of its body). */
  async errorFrom(res: HttpResponse, ctx: ErrorContext, scopes: string[] = []): Promise<FerryError> {
    return responseError(res, ctx, { registry: this.registry, clock: this.clock, lowSpeed: this.lowSpeed, hasCredentials: () => this.auth.hasCredentials(), scopes });
  }
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
