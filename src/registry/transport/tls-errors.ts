import { FerryError } from '../../errors.js';
import type { HttpFn } from './http.js';
import { isPlainHttpAnswer } from './scheme.js';

/** What a user can do about a registry's TLS, in the words of where it is configured (config keys or CLI flags). */
export interface TlsAdvice {
  /** for a certificate that cannot be verified, e.g. "set skip-tls-verify: true …, or put its CA in …" */
  certificate: string;
  /** for a server that answers plain HTTP where HTTPS is required */
  plainHttp: string;
}

export function defaultTlsAdvice(host: string): TlsAdvice {
  return {
    certificate: `set skip-tls-verify: true for this registry (tlsVerify: false), or put its CA certificate in a certs directory (<certs-dir>/${host}/ca.crt)`,
    plainHttp: `if it really serves plain HTTP, set skip-tls-verify: true for it (an insecure registry) or give its endpoint as http://${host}`,
  };
}

/**
 * Rewrites the transport's TLS failures into errors that name the registry and say what to do. A certificate that
 * cannot be verified and a server that answers plain HTTP are both TLS_ERROR: retrying changes neither, and
 * neither is ever answered by falling back to plain HTTP.
 */
export function withTlsAdvice(http: HttpFn, registry: string, host: string, advice: TlsAdvice): HttpFn {
  return async (req) => {
    try {
      return await http(req);
    } catch (e) {
      if (!(e instanceof FerryError)) throw e;
      const cause = e.cause as { message?: string; code?: string } | undefined;
      const detail = cause?.message ?? e.message;
      // a redirect hop (a CDN, object storage) fails with its own certificate: name that host, not the registry's
      const asked = hostOf(req.url) ?? host;
      const who = asked === host ? host : `${asked} (where registry ${registry} redirected the request)`;
      if (e.code === 'TLS_ERROR' && CLIENT_CERT_REQUIRED.test(`${cause?.code ?? ''} ${detail}`)) {
        throw new FerryError(
          'TLS_ERROR',
          `registry ${registry}: ${who} requires a client certificate (${detail}). Put its client.cert and client.key in the registry's certs directory (next to ca.crt); skip-tls-verify does not help here`,
          { ...e.context, registry },
          { cause: e.cause ?? e },
        );
      }
      if (e.code === 'TLS_ERROR') {
        throw new FerryError(
          'TLS_ERROR',
          `registry ${registry}: the TLS certificate of ${who} cannot be verified (${detail}). ferry does not fall back to plain HTTP for this: ${advice.certificate}`,
          { ...e.context, registry },
          { cause: e.cause ?? e },
        );
      }
      if (isPlainHttpAnswer(e) && req.url.startsWith('https://')) {
        throw new FerryError(
          'TLS_ERROR',
          `registry ${registry}: ${who} answered the TLS handshake in plain HTTP (${cause?.code ?? detail}). ferry uses HTTPS for a registry written without a scheme; ${advice.plainHttp}`,
          { ...e.context, registry },
          { cause: e.cause ?? e },
        );
      }
      throw e;
    }
  };
}

/** OpenSSL's words for a server that wants a client certificate the client did not send (or did not like). */
const CLIENT_CERT_REQUIRED = /CERTIFICATE_REQUIRED|certificate required|ALERT_BAD_CERTIFICATE|alert bad certificate/i;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
