/**
 * A tiny "CDN" on 127.0.0.2 (a DIFFERENT loopback host than the registry) that
 * the proxy's redirect mode points blob GETs at. It serves `/blobs/<repo>/<digest>?sig=…`
 * by fetching the blob from the upstream registry with its OWN credentials,
 * and records the `authorization` header of every request it receives.
 * Like S3, it rejects requests that carry an Authorization header (400).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { authorizationFor } from './auth.js';
import type { Creds, RegistryTarget } from './auth.js';

export const CDN_HOST = '127.0.0.2';

export interface CdnRecord {
  method: string;
  path: string;
  status: number;
  /** The `authorization` header received, if any (should always be undefined). */
  authorization: string | undefined;
  headers: IncomingHttpHeaders;
}

export interface CdnOptions {
  /** Registry the CDN reads blobs from. */
  upstream: RegistryTarget;
  /** CDN's own credentials for the upstream (default: upstream's default user). */
  creds?: Creds;
  /** Answer 400 to requests carrying Authorization, as S3 does (default true). */
  rejectAuthorization?: boolean;
}

export interface CdnHandle {
  /** `http://127.0.0.2:PORT`. */
  url: string;
  host: string;
  port: number;
  records: CdnRecord[];
  reset(): void;
  stop(): Promise<void>;
}

const PASS_HEADERS = ['content-length', 'content-type', 'content-range', 'accept-ranges', 'docker-content-digest', 'etag'];

/** Start the CDN server on 127.0.0.2 (random port). */
export async function startCdn(o: CdnOptions): Promise<CdnHandle> {
  const records: CdnRecord[] = [];
  const server = createServer((req, res) => {
    const rec: CdnRecord = {
      method: req.method ?? '', path: req.url ?? '', status: 0, authorization: req.headers.authorization, headers: req.headers,
    };
    records.push(rec);
    res.on('finish', () => { rec.status = res.statusCode; });
    const fail = (status: number, msg: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(msg);
    };
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://cdn');
      const m = /^\/blobs\/(.+)\/([^/]+:[^/]+)$/.exec(u.pathname);
      if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) return fail(404, 'not found');
      if (!u.searchParams.get('sig')) return fail(403, 'missing signature');
      if (req.headers.authorization && o.rejectAuthorization !== false) {
        return fail(400, 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, ' +
          'Signature query string parameter or the Authorization header should be specified');
      }
      const [, repo, digest] = m as unknown as [string, string, string];
      const authorization = await authorizationFor(o.upstream, [`repository:${repo}:pull`], o.creds);
      const headers: Record<string, string> = {};
      if (authorization) headers.authorization = authorization;
      if (req.headers.range) headers.range = req.headers.range;
      const up = await request(`${o.upstream.url}/v2/${repo}/blobs/${digest}`, {
        method: req.method, headers, ...(o.upstream.dispatcher ? { dispatcher: o.upstream.dispatcher } : {}),
      });
      const out: Record<string, string> = {};
      for (const h of PASS_HEADERS) {
        const v = up.headers[h];
        if (typeof v === 'string') out[h] = v;
      }
      res.writeHead(up.statusCode, out);
      up.body.on('error', () => res.destroy());
      up.body.pipe(res);
    })().catch((err: unknown) => (res.headersSent ? res.destroy() : fail(502, `cdn: ${String(err)}`)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot bind ${CDN_HOST} (is 127.0.0.0/8 routed to lo?): ${String(e)}`)));
    server.listen(0, CDN_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${CDN_HOST}:${port}`, host: `${CDN_HOST}:${port}`, port, records,
    reset: () => void records.splice(0),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
