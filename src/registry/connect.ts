import { basename, dirname } from 'node:path';
import { FerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from '../ref/docker-hub.js';
import type { Clock } from '../clock.js';
import type { CredentialSource } from './auth/credentials.js';
import { RegistryClient, type Exchange, type ManifestGate } from './client.js';
import type { BackoffPolicy } from './transport/retry.js';
import { loadCertsDir, type TlsMaterial } from './transport/certs-dir.js';
import { hasUserinfo, hasUserinfoText, redactUrl, type HttpFn } from './transport/http.js';
import { DEFAULT_LOW_SPEED } from './transport/low-speed.js';
import { isLoopbackHost } from './transport/loopback.js';
import type { SchemeMemory } from './transport/scheme.js';
import { defaultTlsAdvice, type TlsAdvice } from './transport/tls-errors.js';

/** How to reach one registry. Everything optional: HTTPS with verified TLS and anonymous access by default. */
export interface RegistryOptions {
  /** an explicit API endpoint (`http://127.0.0.1:5000`, `https://mirror.example.com`): a mirror or a test registry */
  endpoint?: string;
  /** verify TLS certificates (default true) */
  tlsVerify?: boolean;
  /**
   * Whether plain HTTP may be used when the server answers the TLS handshake in plain HTTP (see transport/scheme.ts).
   * Default: when no endpoint is given and the host is loopback or `tlsVerify` is false (an insecure registry).
   */
  httpFallback?: boolean;
  /** what to tell the user when the certificate cannot be verified, in the words of their config or command line */
  tlsAdvice?: TlsAdvice;
  /** a root laid out like /etc/docker/certs.d: `<root>/<host[:port]>/{*.crt,*.cert,*.key}` */
  certsDir?: string;
  /** a directory holding this registry's certificates directly (skopeo's --cert-dir) */
  certDir?: string;
  credentials?: CredentialSource;
  maxConcurrency?: number;
  requestsPerSecond?: number;
  connectTimeoutMs?: number;
  /** time allowed for response headers (default 60 s) */
  headersTimeoutMs?: number;
  /** longest silence inside a body before the request fails as stalled (default 60 s) */
  bodyTimeoutMs?: number;
  /** a Retry-After above this fails the request clearly instead of sleeping (default 15 min) */
  maxRetryAfterMs?: number;
  /** blob bodies slower than this many bytes per second over `lowSpeedTimeMs` fail (default 1024; 0: no limit) */
  lowSpeedLimit?: number;
  /** the span the low-speed limit is averaged over (default 60 s) */
  lowSpeedTimeMs?: number;
}

export interface ConnectDeps {
  clock?: Clock;
  logger?: Logger;
  onExchange?: (e: Exchange) => void;
  /** wraps the transport (tests count or break requests with it) */
  wrapHttp?: (http: HttpFn) => HttpFn;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** consulted around manifest GETs: a pull budget (see registry/budget) */
  manifestGate?: ManifestGate;
  /** the scheme each registry answered on, shared by the sessions of one registry pool (default: this session's own) */
  schemes?: SchemeMemory;
}


/**
 * A client for `registry` (its canonical name). The endpoint is the configured one, Docker Hub's API host
 * for docker.io, else https://<registry>. Where plain HTTP is allowed as a fallback (a loopback host, or TLS
 * verification off), a server that answers the TLS handshake in plain HTTP is used over HTTP; the choice is
 * remembered in `deps.schemes` (a sync's registry pool shares one across its sessions; default: this session's own). A certificate that cannot be verified is an error, never a
 * reason to fall back.
 */
export async function connectRegistry(registry: string, o: RegistryOptions = {}, deps: ConnectDeps = {}): Promise<RegistryClient> {
  if (o.endpoint) checkEndpoint(registry, o.endpoint);
  const host = o.endpoint ? new URL(o.endpoint).host : registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  let tls: TlsMaterial = {};
  if (o.certDir) tls = await loadCertsDir(dirname(o.certDir), basename(o.certDir));
  else if (o.certsDir) tls = await loadCertsDir(o.certsDir, registry === DOCKER_HUB ? 'docker.io' : host);
  const given = o.endpoint?.replace(/\/+$/, '');
  if (given !== undefined && !/^https?:\/\/[^/]+$/.test(given)) {
    throw new FerryError('CONFIG_INVALID', `registry ${registry}: endpoint "${redactUrl(o.endpoint ?? '')}" must be http(s)://host[:port] without a path`, { registry });
  }
  return RegistryClient.open({
    registry,
    endpoint: given ?? `https://${host}`,
    httpFallback: o.httpFallback ?? (given === undefined && (isLoopbackHost(host) || o.tlsVerify === false)),
    ...(deps.schemes ? { schemes: deps.schemes } : {}),
    transport: {
      tlsVerify: o.tlsVerify,
      tls,
      connectTimeoutMs: o.connectTimeoutMs,
      headersTimeoutMs: o.headersTimeoutMs,
      bodyTimeoutMs: o.bodyTimeoutMs,
      connections: Math.max(8, (o.maxConcurrency ?? 8) * 2),
    },
    wrapHttp: deps.wrapHttp,
    tlsAdvice: o.tlsAdvice ?? defaultTlsAdvice(host),
    credentials: o.credentials,
    clock: deps.clock,
    logger: deps.logger,
    onExchange: deps.onExchange,
    maxConcurrency: o.maxConcurrency,
    requestsPerSecond: o.requestsPerSecond,
    maxRetryAfterMs: o.maxRetryAfterMs,
    lowSpeed: { bytesPerSecond: o.lowSpeedLimit ?? DEFAULT_LOW_SPEED.bytesPerSecond, timeMs: o.lowSpeedTimeMs ?? DEFAULT_LOW_SPEED.timeMs },
    backoff: deps.backoff,
    random: deps.random,
    manifestGate: deps.manifestGate,
  });
}

/**
 * An endpoint is a URL ferry will talk to, never a place for credentials: `https://user:password@host` is refused
 * (without echoing it) before anything is sent or logged.
 */
export function checkEndpoint(registry: string, endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new FerryError('CONFIG_INVALID', `registry ${registry}: endpoint "${redactUrl(endpoint)}" is not a URL; write http(s)://host[:port]`, { registry });
  }
  if (hasUserinfo(url) || hasUserinfoText(endpoint)) {
    throw new FerryError(
      'CONFIG_INVALID',
      `registry ${registry}: userinfo (user:password@) is not allowed in an endpoint (${redactUrl(endpoint)}); give the credentials separately (--src-creds/--dest-creds, auth:, or credentials:)`,
      { registry },
    );
  }
}
