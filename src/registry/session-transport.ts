/**
 * The transports of one registry session (RegistryClient): the registry's own, over a dispatcher the session opens
 * and closes, and the one for token realms on other origins, opened on first use and closed with the session.
 * Only the client module opens these, so every dispatcher a session uses is closed by its `close()`.
 */
import { FerryError } from '../errors.js';
import { createDispatcher, undiciHttp, type HttpFn, type TransportOptions } from './transport/http.js';
import { probeScheme, type Scheme, type SchemeMemory } from './transport/scheme.js';
import { withTlsAdvice, type TlsAdvice } from './transport/tls-errors.js';

export interface SessionTransportOptions {
  registry: string;
  /** the registry's host[:port], as its certificate names it */
  host: string;
  /** an injected transport (tests): no dispatcher is opened, and there is nothing to close */
  http?: HttpFn;
  /** settings for the dispatcher opened when no `http` is given */
  transport?: TransportOptions;
  /** wraps the transport (tests count or break requests with it) */
  wrapHttp?: (http: HttpFn) => HttpFn;
  /** turns TLS failures into errors that say what to do, in the words of the user's config or command line */
  tlsAdvice?: TlsAdvice;
  /** transport for token realms on other origins (default: a verified-TLS dispatcher of the session's own) */
  httpForRealm?: (url: string) => HttpFn;
}

export interface SessionTransport {
  /** the registry's transport, as wrapped for tests, before TLS advice (the scheme probe reads raw TLS errors) */
  readonly plain: HttpFn;
  /** the registry's transport as requests use it */
  readonly http: HttpFn;
  readonly forRealm: (url: string) => HttpFn;
  close(): Promise<void>;
}

export function openSessionTransport(o: SessionTransportOptions): SessionTransport {
  const closers: Array<() => Promise<void>> = [];
  let base = o.http;
  if (!base) {
    const dispatcher = createDispatcher(o.transport);
    closers.push(() => dispatcher.close());
    base = undiciHttp(dispatcher);
  }
  const plain = o.wrapHttp ? o.wrapHttp(base) : base;
  const http = o.tlsAdvice ? withTlsAdvice(plain, o.registry, o.host, o.tlsAdvice) : plain;
  let realm: HttpFn | undefined;
  let closed: Promise<void> | undefined;
  const forRealm =
    o.httpForRealm ??
    (() => {
      // opened on first use: never after close, which would leave a dispatcher nobody closes
      if (closed) return sessionClosed(o.registry);
      if (!realm) {
        const dispatcher = createDispatcher();
        closers.push(() => dispatcher.close());
        realm = undiciHttp(dispatcher);
      }
      return realm;
    });
  return {
    plain,
    http,
    forRealm,
    close: () => (closed ??= Promise.all(closers.map((c) => c())).then(() => undefined)),
  };
}

function sessionClosed(registry: string): HttpFn {
  return async () => {
    throw new FerryError('NETWORK_ERROR', `the session with registry ${registry} is closed; nothing more is sent to it`, { registry });
  };
}

/**
 * The scheme to use for `host` when plain HTTP is allowed as a fallback: remembered in `schemes`, else probed over
 * `transport` (see transport/scheme.ts). `onHttp` runs when a probe found a server that does not speak TLS.
 */
export async function settleScheme(host: string, transport: SessionTransport, schemes: SchemeMemory, onHttp: () => void): Promise<Scheme> {
  return schemes.resolve(host, async () => {
    const scheme = await probeScheme(host, transport.plain);
    if (scheme === 'http') onHttp();
    return scheme;
  });
}
