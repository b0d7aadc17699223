/**
 * A counting HTTP reverse proxy (127.0.0.1, plain HTTP to clients) in front
 * of a registry (HTTP or HTTPS upstream). Streams bodies both ways, rewrites
 * upstream `Location` headers to point back at the proxy, and records every
 * request. Hooks (`onRequest`, `transformResponse`) are the extension points
 * for fault injection; `redirectBlobsTo` implements a CDN-redirect mode.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { CdnHandle } from './cdn.js';

/** The upstream the proxy forwards to (a RegistryHandle fits). */
export interface ProxyUpstream {
  url: string;
  dispatcher?: Dispatcher;
}

/** One request seen by the proxy. */
export interface ProxyRecord {
  method: string;
  /** Path + query as the client sent it. */
  path: string;
  /** Final status sent to the client (0 if the connection died first). */
  status: number;
  /** Request headers from the client. */
  headers: IncomingHttpHeaders;
  /** Response headers sent to the client (after rewriting/transforms). */
  responseHeaders: Record<string, string | string[] | undefined>;
  /** Set when the request was answered by a hook or the redirect mode instead of the upstream. */
  handledBy?: 'hook' | 'redirect';
}

/** Decision of `onRequest`: forward, or answer locally (fault injection). */
export type RequestDecision = 'pass' | { respond: (res: ServerResponse, req: IncomingMessage) => void | Promise<void> };

/** Upstream response as seen by `transformResponse`; return a replacement (any field) or undefined to keep it. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

export interface ProxyOptions {
  upstream: ProxyUpstream;
  /** Called for every request before forwarding. May be changed later via `handle.options`. */
  onRequest?: (req: IncomingMessage, record: ProxyRecord) => RequestDecision | Promise<RequestDecision>;
  /** Rewrite a forwarded response (status, headers, body stream). */
  transformResponse?: (req: IncomingMessage, res: UpstreamResponse) => UpstreamResponse | undefined | Promise<UpstreamResponse | undefined>;
  /** Replace a forwarded request's body stream (e.g. to read an upload slowly). */
  transformRequestBody?: (req: IncomingMessage) => Readable | undefined;
  /** Answer blob GETs with `307 Location: <cdn>/…?sig=…` (after checking the client may read the blob upstream). */
  redirectBlobsTo?: CdnHandle;
  /** Methods redirected in redirect mode (default ['GET']). */
  redirectMethods?: string[];
}

export interface ProxyHandle {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  records: ProxyRecord[];
  /** Live options: tests may swap hooks between steps. */
  options: ProxyOptions;
  count(filter?: { method?: string; pathRegex?: RegExp; status?: number }): number;
  filter(filter?: { method?: string; pathRegex?: RegExp; status?: number }): ProxyRecord[];
  reset(): void;
  /**
   * Resolves once no client connection is open and every request has settled (answered by the upstream or a
   * hook, or failed): after a client died, nothing it sent can still reach the upstream.
   */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
const BLOB_GET = /^\/v2\/(.+)\/blobs\/([a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)(?:\?.*)?$/;

function forwardHeaders(h: IncomingHttpHeaders, upstreamHost: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { host: upstreamHost };
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

/** Start the proxy on 127.0.0.1 (random port). */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const records: ProxyRecord[] = [];
  const up = new URL(options.upstream.url);
  let selfUrl = '';

  const rewriteLocation = (headers: Record<string, string | string[] | undefined>): void => {
    const loc = headers.location;
    if (typeof loc === 'string' && loc.startsWith(up.origin)) headers.location = selfUrl + loc.slice(up.origin.length);
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, rec: ProxyRecord): Promise<void> => {
    const o = handle.options;
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0'
      : req.headers['transfer-encoding'] !== undefined;
    const upRes = await request(new URL(req.url ?? '/', up.origin).href, {
      method: req.method as Dispatcher.HttpMethod,
      headers: forwardHeaders(req.headers, up.host),
      ...(hasBody ? { body: o.transformRequestBody?.(req) ?? req } : {}),
      ...(o.upstream.dispatcher ? { dispatcher: o.upstream.dispatcher } : {}),
    });
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(upRes.headers)) if (!HOP.has(k)) headers[k] = v;
    rewriteLocation(headers);
    let out: UpstreamResponse = { status: upRes.statusCode, headers, body: upRes.body };
    if (o.transformResponse) out = (await o.transformResponse(req, out)) ?? out;
    rec.responseHeaders = out.headers;
    res.writeHead(out.status, out.headers as Record<string, string | string[]>);
    out.body.on('error', () => res.destroy());
    out.body.pipe(res);
  };

  const redirect = async (req: IncomingMessage, res: ServerResponse, rec: ProxyRecord, cdn: CdnHandle, repo: string, digest: string): Promise<boolean> => {
    // Like a real registry: authorise first (HEAD upstream with the client's credentials), then redirect.
    const check = await request(new URL(`/v2/${repo}/blobs/${digest}`, up.origin).href, {
      method: 'HEAD', headers: forwardHeaders(req.headers, up.host),
      ...(handle.options.upstream.dispatcher ? { dispatcher: handle.options.upstream.dispatcher } : {}),
    });
    await check.body.dump();
    if (check.statusCode !== 200) return false;
    const location = `${cdn.url}/blobs/${repo}/${digest}?sig=${randomBytes(8).toString('hex')}`;
    rec.handledBy = 'redirect';
    rec.responseHeaders = { location, 'content-length': '0' };
    res.writeHead(307, rec.responseHeaders as Record<string, string>);
    res.end();
    return true;
  };

  let handling = 0;
  const sockets = new Set<Socket>();
  const idleWaiters: (() => void)[] = [];
  const checkIdle = (): void => {
    if (handling === 0 && sockets.size === 0) for (const w of idleWaiters.splice(0)) w();
  };

  const server = createServer((req, res) => {
    handling++;
    const rec: ProxyRecord = { method: req.method ?? '', path: req.url ?? '', status: 0, headers: req.headers, responseHeaders: {} };
    records.push(rec);
    res.on('finish', () => { rec.status = res.statusCode; });
    void (async () => {
      const o = handle.options;
      const decision = o.onRequest ? await o.onRequest(req, rec) : 'pass';
      if (decision !== 'pass') {
        rec.handledBy = 'hook';
        await decision.respond(res, req);
        return;
      }
      const m = BLOB_GET.exec(req.url ?? '');
      if (o.redirectBlobsTo && m && (o.redirectMethods ?? ['GET']).includes(req.method ?? '')) {
        if (await redirect(req, res, rec, o.redirectBlobsTo, m[1]!, m[2]!)) return;
      }
      await forward(req, res, rec);
    })().catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`ferry test proxy: ${String(err)}`);
      } else {
        res.destroy();
      }
    }).finally(() => {
      handling--;
      checkIdle();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      checkIdle();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  selfUrl = `http://127.0.0.1:${port}`;

  const match = (r: ProxyRecord, f: { method?: string; pathRegex?: RegExp; status?: number }): boolean =>
    (f.method === undefined || r.method === f.method) &&
    (f.pathRegex === undefined || f.pathRegex.test(r.path)) &&
    (f.status === undefined || r.status === f.status);

  const handle: ProxyHandle = {
    host: `127.0.0.1:${port}`, url: selfUrl, port, records, options,
    filter: (f = {}) => records.filter((r) => match(r, f)),
    count: (f = {}) => records.filter((r) => match(r, f)).length,
    reset: () => void records.splice(0),
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    }),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return handle;
}
