/**
 * The scheme of a registry written without one (`127.0.0.1:5000`, `harbor.example.com`).
 *
 * It is HTTPS. Plain HTTP is only a fallback, allowed for a loopback host or an insecure registry
 * (`skip-tls-verify`), and tried only when the server does not speak TLS at all: the TLS handshake is answered in
 * plain HTTP. A certificate that cannot be verified is never a reason to fall back. The choice is remembered per
 * registry (host[:port]) in a SchemeMemory: a run's registry pool keeps one for the life of the loaded config, so
 * only the first connection to a registry probes, and a reloaded config asks again.
 */
import { FerryError } from '../../errors.js';
import { drain, type HttpFn } from './http.js';

export type Scheme = 'https' | 'http';

/**
 * OpenSSL's view of an HTTP answer to a ClientHello: the first bytes (`HTTP/1.1 400`) are read as a TLS record
 * header, whose version ("wrong version number") or length ("packet length too long") cannot be right.
 */
const PLAIN_HTTP_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);
const PLAIN_HTTP_MESSAGE = /wrong version number|packet length too long|http request/i;

/** Whether a failed HTTPS request failed because the server answered the TLS handshake in plain HTTP. */
export function isPlainHttpAnswer(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 4; c = (c as { cause?: unknown }).cause, depth++) {
    const err = c as { code?: unknown; message?: unknown };
    if (typeof err.code === 'string' && PLAIN_HTTP_CODES.has(err.code)) return true;
    if (err.code === 'EPROTO' && typeof err.message === 'string' && PLAIN_HTTP_MESSAGE.test(err.message)) return true;
  }
  return false;
}

/**
 * Asks `https://host/v2/`. Any HTTP answer (200, 401, 404…) means HTTPS. A handshake answered in plain HTTP means
 * HTTP, once `http://host/v2/` has given an HTTP answer too. A certificate error means HTTPS: the server speaks TLS,
 * and the certificate problem is reported on use. Anything else (refused, reset, timeout) decides nothing:
 * undefined, and the next connection asks again.
 */
export async function probeScheme(host: string, http: HttpFn): Promise<Scheme | undefined> {
  try {
    await drain((await http({ method: 'GET', url: `https://${host}/v2/`, headers: {} })).body);
    return 'https';
  } catch (e) {
    if (e instanceof FerryError && e.code === 'TLS_ERROR') return 'https';
    if (!isPlainHttpAnswer(e)) return undefined;
  }
  try {
    await drain((await http({ method: 'GET', url: `http://${host}/v2/`, headers: {} })).body);
    return 'http';
  } catch {
    return undefined;
  }
}

/** The scheme each registry answered on, by host[:port]. Concurrent connections to one registry share one probe. */
export class SchemeMemory {
  readonly #known = new Map<string, Promise<Scheme | undefined>>();

  /** The remembered scheme of `host`, probing (with `probe`) the first time; https when the probe decides nothing. */
  async resolve(host: string, probe: () => Promise<Scheme | undefined>): Promise<Scheme> {
    const key = host.toLowerCase();
    let p = this.#known.get(key);
    if (!p) {
      p = probe().catch(() => undefined);
      this.#known.set(key, p);
    }
    const scheme = await p;
    if (scheme === undefined && this.#known.get(key) === p) this.#known.delete(key);
    return scheme ?? 'https';
  }

  /** What is remembered for `host` (after its probe has finished). */
  async get(host: string): Promise<Scheme | undefined> {
    return this.#known.get(host.toLowerCase());
  }
}
