import { basename, dirname } from 'node:path';
import { FerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from '../ref/docker-hub.js';
import type { Clock } from '../scheduler/clock.js';
import type { CredentialSource } from './auth/credentials.js';
import { RegistryClient, type Exchange, type ManifestGate } from './client.js';
import type { BackoffPolicy } from './transport/retry.js';
import { loadCertsDir, type TlsMaterial } from './transport/certs-dir.js';
import { createDispatcher, drain, hasUserinfo, redactUrl, undiciHttp, type HttpFn } from './transport/http.js';
import { isLoopbackHost } from './transport/loopback.js';

/** How to reach one registry. Everything optional: HTTPS with verified TLS and anonymous access by default. */
export interface RegistryOptions {
  /** an explicit API endpoint (`http://127.0.0.1:5000`, `https://mirror.example.com`): a mirror or a test registry */
  endpoint?: string;
  /** verify TLS certificates (default true) */
  tlsVerify?: boolean;
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
}


/**
 * A client for `registry` (its canonical name). The endpoint is the configured one, Docker Hub's API host
 * for docker.io, else https://<registry>; for loopback registries without an explicit scheme ferry tries HTTPS
 * and falls back to plain HTTP when the server does not speak TLS (as docker does for localhost).
 */
export async function connectRegistry(registry: string, o: RegistryOptions = {}, deps: ConnectDeps = {}): Promise<RegistryClient> {
  if (o.endpoint) checkEndpoint(registry, o.endpoint);
  const host = o.endpoint ? new URL(o.endpoint).host : registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  let tls: TlsMaterial = {};
  if (o.certDir) tls = await loadCertsDir(dirname(o.certDir), basename(o.certDir));
  else if (o.certsDir) tls = await loadCertsDir(o.certsDir, registry === DOCKER_HUB ? 'docker.io' : host);
  const dispatcher = createDispatcher({
    tlsVerify: o.tlsVerify,
    tls,
    connectTimeoutMs: o.connectTimeoutMs,
    headersTimeoutMs: o.headersTimeoutMs,
    bodyTimeoutMs: o.bodyTimeoutMs,
    connections: Math.max(8, (o.maxConcurrency ?? 8) * 2),
  });
  const raw = undiciHttp(dispatcher);
  const http = deps.wrapHttp ? deps.wrapHttp(raw) : raw;
  let endpoint = o.endpoint?.replace(/\/+$/, '');
  if (!endpoint) endpoint = isLoopbackHost(host) ? await probeScheme(host, http) : `https://${host}`;
  if (!/^https?:\/\/[^/]+$/.test(endpoint)) {
    throw new FerryError('CONFIG_INVALID', `registry ${registry}: endpoint "${redactUrl(o.endpoint ?? '')}" must be http(s)://host[:port] without a path`, { registry });
  }
  const client = new RegistryClient({
    registry,
    endpoint,
    http,
    credentials: o.credentials,
    clock: deps.clock,
    logger: deps.logger,
    onExchange: deps.onExchange,
    maxConcurrency: o.maxConcurrency,
    requestsPerSecond: o.requestsPerSecond,
    maxRetryAfterMs: o.maxRetryAfterMs,
    backoff: deps.backoff,
    random: deps.random,
    manifestGate: deps.manifestGate,
  });
  const close = client.close.bind(client);
  client.close = async () => {
    await close();
    await dispatcher.close();
  };
  return client;
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
  if (hasUserinfo(url) || /^[^/?#]*\/\/[^/?#]*@/.test(endpoint)) {
    throw new FerryError(
      'CONFIG_INVALID',
      `registry ${registry}: userinfo (user:password@) is not allowed in an endpoint (${redactUrl(endpoint)}); give the credentials separately (--src-creds/--dest-creds, auth:, or credentials:)`,
      { registry },
    );
  }
}

async function probeScheme(host: string, http: HttpFn): Promise<string> {
  try {
    const res = await http({ method: 'GET', url: `https://${host}/v2/`, headers: {} });
    await drain(res.body);
    return `https://${host}`;
  } catch (e) {
    if (e instanceof FerryError && e.code === 'TLS_ERROR' && !/wrong version|EPROTO|packet length/i.test(String((e.cause as Error)?.message ?? e.message))) {
      return `https://${host}`; // it speaks TLS; the certificate problem will be reported on use
    }
    return `http://${host}`;
  }
}
