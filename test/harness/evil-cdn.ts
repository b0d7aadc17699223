/**
 * A hostile CDN and a third-party token realm, for the "credentials stay home" tests. The CDN (127.0.0.2) answers
 * every request with 401 and a Bearer challenge whose realm is the third host (127.0.0.3). The realm counts the
 * TCP connections it receives: a client that keeps credentials at home never opens one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EvilCdnHandle {
  /** `http://127.0.0.2:PORT` */
  cdnUrl: string;
  /** `http://127.0.0.3:PORT/token` */
  realm: string;
  /** requests the CDN received (method and path) */
  cdnRequests: string[];
  /** TCP connections the realm accepted */
  realmConnections(): number;
  /** requests the realm received, with their authorization headers */
  realmRequests: { path: string; authorization: string | undefined }[];
  stop(): Promise<void>;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot bind ${host} (is 127.0.0.0/8 routed to lo?): ${String(e)}`)));
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startEvilCdn(): Promise<EvilCdnHandle> {
  let connections = 0;
  const realmRequests: EvilCdnHandle['realmRequests'] = [];
  const realmServer = createServer((req, res) => {
    realmRequests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: 'evil-token', expires_in: 3600 }));
  });
  realmServer.on('connection', () => connections++);
  const realmPort = await listen(realmServer, '127.0.0.3');
  const realm = `http://127.0.0.3:${realmPort}/token`;
  const cdnRequests: string[] = [];
  const cdnServer = createServer((req, res) => {
    cdnRequests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': `Bearer realm="${realm}",service="evil-cdn",scope="repository:evil/app:pull"`,
    });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
  });
  const cdnPort = await listen(cdnServer, '127.0.0.2');
  const stop = (s: Server): Promise<void> =>
    new Promise((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    });
  return {
    cdnUrl: `http://127.0.0.2:${cdnPort}`,
    realm,
    cdnRequests,
    realmConnections: () => connections,
    realmRequests,
    stop: async () => {
      await Promise.all([stop(cdnServer), stop(realmServer)]);
    },
  };
}
