/** What a RegistryClient (one session with a registry) is made from, and what one request through it says. */
import type { Readable } from 'node:stream';
import type { ErrorContext, FerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../clock.js';
import type { CredentialSource } from './auth/credentials.js';
import type { Exchange } from './exchange.js';
import type { RetryBudget } from './retry-budget.js';
import type { HttpFn, HttpRequest, TransportOptions } from './transport/http.js';
import type { LowSpeedLimit } from './transport/low-speed.js';
import type { BackoffPolicy } from './transport/retry.js';
import type { SchemeMemory } from './transport/scheme.js';
import type { TlsAdvice } from './transport/tls-errors.js';

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
  /** settings of the dispatcher the session opens (and closes) when no `http` is injected */
  transport?: TransportOptions;
  /** injected transport for the registry (default: undici with `transport` options) */
  http?: HttpFn;
  /** wraps the transport (tests count or break requests with it) */
  wrapHttp?: (http: HttpFn) => HttpFn;
  /** what TLS errors tell the user to do (default: errors as the transport gives them) */
  tlsAdvice?: TlsAdvice;
  /** transport for token realms on other origins (default: undici, verified TLS) */
  httpForRealm?: (url: string) => HttpFn;
  clock?: Clock;
  logger?: Logger;
  /** concurrent requests waiting for response headers (default 8) */
  maxConcurrency?: number;
  requestsPerSecond?: number;
  /** delays between retries, and `attempts`: the attempts one request may make (see RetryBudget) */
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

/** For `RegistryClient.open`: an https endpoint may fall back to plain HTTP (see transport/scheme.ts). */
export interface OpenOptions extends RegistryClientOptions {
  httpFallback?: boolean;
  /** the scheme each host answered on, shared by the sessions of one registry pool (default: this session's own) */
  schemes?: SchemeMemory;
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
  /** the retries of the logical operation this request belongs to (default: a budget for this request alone) */
  budget?: RetryBudget;
  followRedirects?: boolean;
  context?: ErrorContext;
  signal?: AbortSignal;
  /** 'throw': a 429 without Retry-After fails at once (a pull budget decides what to do) instead of backing off */
  rateLimited?: 'retry' | 'throw';
  /** false: this session adds no Authorization and answers no 401 (side APIs with their own login: Hub, Harbor) */
  authenticate?: boolean;
}
