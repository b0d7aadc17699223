import type { Readable } from 'node:stream';
import { FerryError, type ErrorContext } from '../errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../clock.js';
import { Authenticator } from './auth/authenticator.js';
import { anonymous } from './auth/credentials.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, type ManifestGate, type OpenOptions, type RegistryClientOptions, type SendOptions } from './client-options.js';
import { kindOf, type Exchange } from './exchange.js';
import { RegistryProfile } from './profile.js';
import { foreignChallenge, responseError } from './response-error.js';
import { RetryBudget } from './retry-budget.js';
import { openSessionTransport, settleScheme, type SessionTransport } from './session-transport.js';
import { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter, type BackoffPolicy } from './transport/retry.js';
import { drain, hasUserinfo, header, readBody, redactUrl, transportError, type BodyPace, type HttpFn, type HttpRequest, type HttpResponse } from './transport/http.js';
import { DEFAULT_LOW_SPEED, formatRate, formatSpan, type LowSpeedLimit } from './transport/low-speed.js';
import { followRedirect, isRedirect } from './transport/redirects.js';
import { SchemeMemory } from './transport/scheme.js';
import { RateLimiter, Semaphore } from './transport/semaphore.js';

export const USER_AGENT = 'ferry/0.1';

export { kindOf, type Exchange, type RequestKind } from './exchange.js';
export { DEFAULT_MAX_RETRY_AFTER_MS, type ManifestGate, type OpenOptions, type PullInfo, type RegistryClientOptions, type SendOptions } from './client-options.js';

const ABSOLUTE_URL = /^https?:\/\//;

/**
 * One session with a registry: its endpoint, transport (opened here and closed by `close`), credentials, limits,
 * retry policy and what it learned about the registry (`profile`). Every request goes through `send`, which adds
 * authentication, follows redirects safely, retries what may be retried within its operation's RetryBudget, and
 * turns failures into typed errors.
 */
export class RegistryClient {
  readonly registry: string;
  readonly endpoint: string;
  private readonly origin: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly auth: Authenticator;
  /** what this session learned about the registry (see profile.ts) */
  readonly profile: RegistryProfile;
  private readonly transport: SessionTransport;
  private readonly limiter: Semaphore;
  private readonly rate: RateLimiter | undefined;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly maxRetryAfterMs: number;
  readonly manifestGate: ManifestGate | undefined;
  readonly lowSpeed: LowSpeedLimit;
  private readonly userAgent: string;
  private readonly onExchange: ((e: Exchange) => void) | undefined;
  /** the transport with `onExchange` watching, built once */
  private readonly exchange: HttpFn;

  /**
   * A session with `o.endpoint` as given. Use `open` where an https endpoint may fall back to plain HTTP.
   * `transport` is for `open` alone: a transport it opened for this session, which the session now owns.
   */
  constructor(o: RegistryClientOptions, transport?: SessionTransport) {
    this.registry = o.registry;
    this.endpoint = o.endpoint.replace(/\/+$/, '');
    const endpointUrl = new URL(this.endpoint);
    if (hasUserinfo(endpointUrl)) {
      throw new FerryError('CONFIG_INVALID', `registry ${o.registry}: userinfo (user:password@) is not allowed in an endpoint; give credentials separately`, { registry: o.registry });
    }
    this.origin = endpointUrl.origin;
    this.profile = new RegistryProfile(endpointUrl.protocol === 'http:' ? 'http' : 'https');
    this.logger = o.logger ?? silentLogger;
    this.clock = o.clock ?? systemClock;
    this.transport = transport ?? openSessionTransport({ ...o, host: endpointUrl.host });
    this.limiter = new Semaphore(o.maxConcurrency ?? 8);
    this.rate = o.requestsPerSecond ? new RateLimiter(o.requestsPerSecond, this.clock) : undefined;
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.random = o.random ?? Math.random;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.manifestGate = o.manifestGate;
    this.lowSpeed = o.lowSpeed ?? DEFAULT_LOW_SPEED;
    this.userAgent = o.userAgent ?? USER_AGENT;
    this.onExchange = o.onExchange;
    this.exchange = this.observed(this.transport.http);
    this.auth = new Authenticator({
      registry: this.registry,
      endpoint: this.endpoint,
      credentials: o.credentials ?? anonymous,
      http: this.exchange,
      httpForRealm: (url) => this.observed(this.transport.forRealm(url)),
      clock: this.clock,
      logger: this.logger,
      userAgent: this.userAgent,
    });
  }

  /**
   * Opens a session. With `httpFallback`, an https endpoint whose server answers the TLS handshake in plain HTTP
   * is used over http (the choice remembered in `schemes` by host); the probe goes through the transport the
   * session then keeps, so the transport is opened once and closed by the session whatever happens.
   */
  static async open(o: OpenOptions): Promise<RegistryClient> {
    const endpoint = o.endpoint.replace(/\/+$/, '');
    const host = new URL(endpoint).host;
    const transport = openSessionTransport({ ...o, host });
    try {
      if (!o.httpFallback || !endpoint.startsWith('https://')) return new RegistryClient(o, transport);
      const scheme = await settleScheme(host, transport, o.schemes ?? new SchemeMemory(), () =>
        o.logger?.info({ registry: o.registry, endpoint: `http://${host}` }, `registry ${o.registry} does not speak TLS: using plain HTTP`),
      );
      return new RegistryClient({ ...o, endpoint: `${scheme}://${host}` }, transport);
    } catch (e) {
      // the session was never made: the transport opened for it is closed here
      await transport.close();
      throw e;
    }
  }

  /** Closes the session's connections (to the registry and to its token realms). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  url(path: string): string {
    return ABSOLUTE_URL.test(path) ? path : `${this.endpoint}${path}`;
  }

  /** A budget for one logical operation: `scale` times the retries one request may make (backoff.attempts - 1). */
  retryBudget(scale = 1): RetryBudget {
    return new RetryBudget(Math.max(0, this.backoff.attempts - 1) * scale);
  }

  /** Sends a request and returns the response (body unread) when its status is expected; throws otherwise. */
  async send(o: SendOptions): Promise<HttpResponse> {
    const replayable = !(o.body && typeof (o.body as Readable).pipe === 'function');
    const mayRetry = (o.retry ?? true) && replayable;
    const budget = o.budget ?? this.retryBudget();
    const ctx: ErrorContext = { registry: this.registry, method: o.method, ...o.context };
    let scopes = o.scopes;
    let authRetried = false;
    for (;;) {
      let res: HttpResponse;
      try {
        res = await this.once(o, scopes, ctx);
      } catch (e) {
        const err = e instanceof FerryError ? e : new FerryError('NETWORK_ERROR', String(e), ctx, { cause: e });
        const retry = mayRetry && err.retryable && !o.signal?.aborted ? budget.draw() : undefined;
        if (retry === undefined) throw err;
        await this.pause(retry, undefined, err, o);
        continue;
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
          // answering a challenge is not a retry: it draws nothing from the budget, and happens once
          await drain(res.body);
          authRetried = true;
          scopes = next;
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
      const retry = mayRetry && !giveUp && isRetryableStatus(res.status) ? budget.draw() : undefined;
      if (retry !== undefined) {
        await drain(res.body);
        await this.pause(retry, after, undefined, o);
        continue;
      }
      throw await this.errorFrom(res, ctx, scopes);
    }
  }

  /**
   * `send` plus reading the whole body (at most `limit` bytes), repeating the request when the body breaks off
   * (reset, truncation, stall). The exchange and the body draw from one budget, so a GET makes at most
   * `backoff.attempts` attempts however it fails. `before` runs before each attempt (a pull budget).
   */
  async fetchBody(o: SendOptions, limit: number, onTooLarge: () => Error, before?: () => Promise<void>): Promise<{ res: HttpResponse; bytes: Buffer }> {
    const send: SendOptions = { ...o, budget: o.budget ?? this.retryBudget() };
    let slow = 0;
    for (;;) {
      await before?.();
      const res = await this.send(send);
      let tooLarge: Error | undefined;
      try {
        return { res, bytes: await readBody(res.body, limit, () => (tooLarge = onTooLarge()), this.bodyPace(o)) };
      } catch (e) {
        if (tooLarge) throw tooLarge;
        const err = e instanceof FerryError ? e : transportError(e, { method: o.method, url: redactUrl(this.url(o.path)) });
        // too slow: retried once, as blobs are; a second slow answer means a slow server
        if (err.code === 'TRANSFER_TOO_SLOW' && (++slow >= 2 || o.signal?.aborted)) throw err;
        const retry = (err.retryable || err.code === 'TRANSFER_TOO_SLOW') && !o.signal?.aborted ? send.budget!.draw() : undefined;
        if (retry === undefined) throw err;
        await this.pause(retry, undefined, err, o);
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
      // A side API on another origin (Docker Hub's, which takes a password) is not the registry: the registry's
      // TLS settings (skip-tls-verify, its CA, its client certificate) do not reach it, as they do not reach a
      // token realm; it gets the verified transport.
      const foreignApi = o.authenticate === false && originOf(url) !== this.origin;
      let res = await (foreignApi ? this.observed(this.transport.forRealm(url)) : this.exchange)(req);
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
