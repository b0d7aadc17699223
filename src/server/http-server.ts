import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { FerryError } from '../errors.js';
import { escapeName } from '../safe-text.js';
import type { Logger } from '../log/logger.js';
import type { FerryMetrics } from './metrics.js';
import { STATUS_PAGE, STATUS_PAGE_CSP } from './status-page.js';
import type { StatusStore } from './status-store.js';

export interface ListenAddress {
  /** undefined: every interface */
  host: string | undefined;
  port: number;
}

/**
 * `127.0.0.1:9090`, `[::1]:9090`, a bare `9090` (loopback only: 127.0.0.1), or every interface with an explicit
 * `:9090` or `0.0.0.0:9090` (as the container image does).
 */
export function parseListenAddress(s: string): ListenAddress {
  if (/^\s*\d{1,5}\s*$/.test(s)) {
    const port = Number(s.trim());
    if (port <= 65535) return { host: '127.0.0.1', port };
  }
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new FerryError('USAGE', `--listen takes HOST:PORT (like 127.0.0.1:9090 or :9090), got "${s}"`);
  }
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : undefined;
  return { host: host || undefined, port };
}

export interface OpsServerOptions {
  listen: string;
  /** views of the run projection (fed by the bus before the server starts) */
  store: StatusStore;
  metrics: FerryMetrics;
  logger: Logger;
  /** `--listen-host`: host names `/` and `/status` answer to, besides IP literals and localhost */
  allowedHosts?: string[];
  /** `--listen-token-file`: the bearer token `/` and `/status` require (none: open) */
  token?: string;
}

export interface OpsServer {
  /** the bound address as HOST:PORT (IPv6 in brackets), port resolved when 0 was asked for */
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The operations endpoints of daemon mode: `/metrics`, `/healthz`, `/readyz`, `/status` and the status page `/`.
 * Read-only; GET and HEAD only.
 */
export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const { host, port } = parseListenAddress(o.listen);
  const log = o.logger.child({ component: 'ops-server' });
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'ops request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    o.metrics.detach();
    throw new FerryError('USAGE', `cannot listen on ${o.listen}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const a = server.address() as AddressInfo;
  const address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  log.info({ address }, 'serving /metrics, /healthz, /readyz, /status and the status page');
  let closed: Promise<void> | undefined;
  return {
    address,
    port: a.port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        o.metrics.detach();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** The host name of a `Host` header, lower-cased, without port, brackets or a trailing dot; undefined if malformed. */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const h = header.trim().toLowerCase();
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(h);
  if (!m) return undefined;
  const name = (m[1] ?? m[2] ?? '').replace(/\.$/, '');
  return name === '' ? undefined : name;
}

/**
 * Whether `/` and `/status` answer a request with this `Host` (DNS rebinding: a web page in the operator's browser
 * whose name now resolves to this server sends its own name). IP literals, `localhost` (and `*.localhost`) and the
 * names given with `--listen-host` pass.
 */
export function hostAllowed(header: string | undefined, allowed: readonly string[] = []): boolean {
  const name = hostOf(header);
  if (name === undefined) return false;
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((a) => a.toLowerCase().replace(/\.$/, '') === name);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether the request carries the token: `Authorization: Bearer <token>`, or Basic with the token as password. */
export function tokenMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization) return false;
  const m = /^(bearer|basic)\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return false;
  let given = m[2] as string;
  if ((m[1] as string).toLowerCase() === 'basic') {
    const decoded = Buffer.from(given, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    given = decoded.slice(colon + 1);
  }
  return timingSafeEqual(digest(given), digest(token));
}

/** Endpoints that show task state (names, references, errors): Host-checked and, with a token, protected. */
const PRIVATE_PATHS = new Set(['/', '/index.html', '/status']);

async function handle(req: IncomingMessage, res: ServerResponse, o: OpsServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  if (PRIVATE_PATHS.has(path)) {
    if (!hostAllowed(req.headers.host, o.allowedHosts)) {
      const shown = req.headers.host === undefined ? 'no Host header' : `host "${escapeName(req.headers.host, 100)}"`;
      send(
        res,
        421,
        'text/plain; charset=utf-8',
        `${shown} is not allowed for ${path}: ferry answers it for IP addresses, localhost and names given with --listen-host (add --listen-host NAME if this name is yours)\n`,
      );
      return;
    }
    if (o.token !== undefined && !tokenMatches(req.headers.authorization, o.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="ferry", Basic realm="ferry", charset="UTF-8"');
      send(res, 401, 'text/plain; charset=utf-8', `${path} needs the token from --listen-token-file: send "Authorization: Bearer <token>" (or any user name with the token as password)\n`);
      return;
    }
  }
  switch (path) {
    case '/metrics':
      send(res, 200, o.metrics.contentType, await o.metrics.render());
      return;
    case '/healthz':
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case '/readyz': {
      const s = o.store.snapshot();
      const ready = s.configLoaded && s.schedulerRunning;
      const why = ready ? 'ready\n' : `not ready: ${[!s.configLoaded && 'config not loaded', !s.schedulerRunning && 'scheduler not running'].filter(Boolean).join(', ')}\n`;
      send(res, ready ? 200 : 503, 'text/plain; charset=utf-8', why);
      return;
    }
    case '/status':
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(o.store.snapshot(), null, 2) + '\n');
      return;
    case '/':
    case '/index.html':
      res.setHeader('content-security-policy', STATUS_PAGE_CSP);
      res.setHeader('referrer-policy', 'no-referrer');
      send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE);
      return;
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
