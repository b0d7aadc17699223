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
      if (e.code === 'TLS_ERROR') {
        throw new FerryError(
          'TLS_ERROR',
          `registry ${registry}: the TLS certificate of ${host} cannot be verified (${detail}). ferry does not fall back to plain HTTP for this: ${advice.certificate}`,
          { ...e.context, registry },
          { cause: e.cause ?? e },
        );
      }
      if (isPlainHttpAnswer(e) && req.url.startsWith('https://')) {
        throw new FerryError(
          'TLS_ERROR',
          `registry ${registry}: ${host} answered the TLS handshake in plain HTTP (${cause?.code ?? detail}). ferry uses HTTPS for a registry written without a scheme; ${advice.plainHttp}`,
          { ...e.context, registry },
          { cause: e.cause ?? e },
        );
      }
      throw e;
    }
  };
}
