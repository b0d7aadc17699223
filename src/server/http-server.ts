import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SyncEventBus } from '../sync/run-events.js';
import type { FerryMetrics } from './metrics.js';
import { STATUS_PAGE, STATUS_PAGE_CSP } from './status-page.js';
import type { StatusStore } from './status-store.js';

export interface ListenAddress {
  /** undefined: every interface */
  host: string | undefined;
  port: number;
}

/** `127.0.0.1:9090`, `:9090`, `[::1]:9090`, `0.0.0.0:9090` or a bare `9090` (every interface). */
export function parseListenAddress(s: string): ListenAddress {
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
  /** already attached by the caller, or attached here when `attach` is true (the default) */
  bus: SyncEventBus;
  store: StatusStore;
  metrics: FerryMetrics;
  logger: Logger;
  /** subscribe store and metrics to the bus; default true. Pass false when they are already attached. */
  attach?: boolean;
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
  const detach = (o.attach ?? true) ? [o.store.attach(o.bus), o.metrics.attach(o.bus)] : [];
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
    for (const d of detach) d();
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
        for (const d of detach) d();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: OpsServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
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
      res.setHeader('x-content-type-options', 'nosniff');
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
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
