/**
 * A TCP pass-through on a loopback port in front of a registry, which tells each connection's protocol by its
 * first byte: 0x16 opens a TLS handshake, anything else is plain HTTP. Tests use it to prove that no plain-HTTP
 * request ever reached a TLS registry (a Go TLS server answers those before its access log sees them).
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpTapHandle {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** connections so far, by protocol */
  counts(): { tls: number; plain: number };
  stop(): Promise<void>;
}

export async function startTcpTap(upstreamPort: number): Promise<TcpTapHandle> {
  const counts = { tls: 0, plain: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.once('data', (first: Buffer) => {
      if (first[0] === 0x16) counts.tls++;
      else counts.plain++;
      const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.write(first);
      client.pipe(upstream).pipe(client);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      upstream.once('error', end);
      client.once('error', end);
    });
    client.once('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    counts: () => ({ ...counts }),
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
