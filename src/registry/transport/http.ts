import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { rootCertificates } from 'node:tls';
import { FerryError, type ErrorContext } from '../../errors.js';
import type { TlsMaterial } from './certs-dir.js';
import { LowSpeedMeter, lowSpeedEnabled, type LowSpeedLimit } from './low-speed.js';
import { Agent, errors as undiciErrors, request } from './undici-core.js';

/** One HTTP exchange as the registry layer sees it. Header names are lower-case. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** an Iterable is replayable and read piece by piece as the socket drains */
  body?: Uint8Array | Readable | Iterable<Uint8Array> | null;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  url: string;
}

/** The injectable transport: real code uses undici; tests may wrap it to count or to inject faults. */
export type HttpFn = (req: HttpRequest) => Promise<HttpResponse>;

export interface TransportOptions {
  /** verify the server certificate (default true) */
  tlsVerify?: boolean;
  tls?: TlsMaterial;
  connectTimeoutMs?: number;
  /** time allowed for response headers */
  headersTimeoutMs?: number;
  /** longest silence allowed inside a body, in either direction */
  bodyTimeoutMs?: number;
  connections?: number;
}

export function createDispatcher(opts: TransportOptions = {}): Dispatcher {
  const connect: Record<string, unknown> = {
    timeout: opts.connectTimeoutMs ?? 15_000,
    rejectUnauthorized: opts.tlsVerify !== false,
  };
  if (opts.tls?.ca?.length) connect.ca = [...rootCertificates, ...opts.tls.ca];
  if (opts.tls?.cert && opts.tls.key) {
    connect.cert = opts.tls.cert;
    connect.key = opts.tls.key;
  }
  return new Agent({
    connect,
    headersTimeout: opts.headersTimeoutMs ?? 60_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
    connections: opts.connections ?? 16,
    keepAliveTimeout: 10_000,
  });
}

/** An HttpFn over undici with the given dispatcher. Redirects are never followed here (see redirects.ts). */
export function undiciHttp(dispatcher: Dispatcher): HttpFn {
  return async (req) => {
    if (req.method === 'HEAD') return head(dispatcher, req);
    try {
      const { origin, path } = splitUrl(req.url);
      const res = await request(dispatcher, {
        origin,
        path,
        method: req.method,
        headers: req.headers,
        // undici accepts iterables; its types list only the other body kinds
        body: (req.body ?? null) as Dispatcher.RequestOptions['body'],
        signal: req.signal,
      });
      return { status: res.statusCode, headers: res.headers as HttpResponse['headers'], body: res.body, url: req.url };
    } catch (e) {
      throw transportError(e, { method: req.method, url: redactUrl(req.url) });
    }
  };
}

/**
 * A HEAD through undici's `dispatch`: no body to stream, so none of `request()`'s machinery (async resource,
 * body stream, abort wiring) per call. ferry decides everything with HEADs — tens of thousands per run at
 * scale — and this path allocates about a third less, which is what keeps a large no-op run's memory flat.
 * The connection is kept: undici would close it after every HEAD unless told not to (nodejs/undici#258, for
 * servers that send a body anyway); registries do not.
 */
function head(dispatcher: Dispatcher, req: HttpRequest): Promise<HttpResponse> {
  const { signal } = req;
  const ctx = { method: req.method, url: redactUrl(req.url) };
  if (signal?.aborted) return Promise.reject(transportError(signal.reason ?? new undiciErrors.RequestAbortedError(), ctx));
  const { origin, path } = splitUrl(req.url);
  return new Promise<HttpResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let headers: HttpResponse['headers'] = {};
    const onAbort = (): void => controller?.abort(signal?.reason ?? new undiciErrors.RequestAbortedError());
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (signal?.aborted) onAbort();
      },
      onResponseStart(_c, statusCode, h) {
        status = statusCode;
        headers = h as HttpResponse['headers'];
      },
      onResponseData() {
        /* a HEAD answer has no body; anything sent anyway is discarded */
      },
      onResponseEnd() {
        done();
        resolve({ status, headers, body: emptyBody(), url: req.url });
      },
      onResponseError(_c, err) {
        done();
        reject(transportError(err, ctx));
      },
    };
    try {
      dispatcher.dispatch({ origin, path, method: 'HEAD', headers: req.headers, reset: false }, handler);
    } catch (e) {
      done();
      reject(transportError(e, ctx));
    }
  });
}

/** `https://host:port/v2/x?y` → origin and path, without building a URL object (one per HEAD adds up). */
export function splitUrl(url: string): { origin: string; path: string } {
  const scheme = url.indexOf('://');
  const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  if (scheme < 0 || url.includes('#') || /[?@\\]/.test(url.slice(scheme + 3, slash < 0 ? undefined : slash))) {
    // unusual authority (credentials, query right after the host, backslashes): let the URL parser decide
    const u = new URL(url);
    return { origin: u.origin, path: `${u.pathname}${u.search}` };
  }
  return slash < 0 ? { origin: url, path: '/' } : { origin: url.slice(0, slash), path: url.slice(slash) };
}

function emptyBody(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

/** Turns undici/socket/TLS failures into typed errors. Used for request and body-stream failures alike. */
export function transportError(e: unknown, ctx: ErrorContext): FerryError {
  if (e instanceof FerryError) return e;
  const err = e as NodeJS.ErrnoException & { code?: string };
  const where = ctx.url ? ` (${ctx.method ?? ''} ${String(ctx.url)})` : '';
  if (err?.name === 'AbortError' || err?.code === 'ABORT_ERR' || e instanceof undiciErrors.RequestAbortedError) {
    return new FerryError('ABORTED', `request aborted${where}`, ctx, { cause: e });
  }
  if (
    e instanceof undiciErrors.ConnectTimeoutError ||
    e instanceof undiciErrors.HeadersTimeoutError ||
    e instanceof undiciErrors.BodyTimeoutError
  ) {
    return new FerryError('TIMEOUT', `${err.message}${where}: the registry stopped answering`, ctx, { cause: e });
  }
  const code = err?.code ?? '';
  if (code === 'UND_ERR_INVALID_ARG' || e instanceof undiciErrors.InvalidArgumentError) {
    // a URL the HTTP client refuses to send (control characters in the path, a malformed origin): the same
    // request fails the same way every time, so it is not retried
    return new FerryError('REQUEST_INVALID', `cannot send the request${where}: ${err.message}; the URL holds characters HTTP does not allow (a hostile name or link?)`, ctx, {
      cause: e,
    });
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/.test(code) || /certificate/i.test(err?.message ?? '')) {
    return new FerryError(
      'TLS_ERROR',
      `TLS verification failed${where}: ${err.message}. Put the registry's CA certificate in the certs directory (<certs-dir>/<host:port>/ca.crt), or set skip-tls-verify for this registry`,
      ctx,
      { cause: e },
    );
  }
  return new FerryError('NETWORK_ERROR', `network error${where}: ${err?.message ?? String(e)}${code ? ` (${code})` : ''}`, ctx, {
    cause: e,
  });
}

/**
 * Removes what may carry secrets from URLs shown in messages and logs: query strings (signed URLs) and userinfo
 * (`https://user:password@host`), which is never sent anyway (see `hasUserinfo`).
 */
export function redactUrl(url: string): string {
  let rest = url;
  let head = '';
  const scheme = url.indexOf('://');
  if (scheme >= 0 && url.includes('@')) {
    const { start, text } = authorityOf(url);
    // everything up to the authority's last "@" is userinfo
    let at = text.lastIndexOf('@');
    if (at < 0 && !URL.canParse(url)) {
      // not a URL a parser accepts, with an @ past the first "/": a password holding an unencoded "/"
      const q = url.indexOf('?', start);
      at = url.lastIndexOf('@', q < 0 ? url.length : q) - start;
    }
    head = url.slice(0, start);
    rest = url.slice(start + at + 1);
  }
  const q = rest.indexOf('?');
  return q >= 0 ? `${head}${rest.slice(0, q)}?…` : head + rest;
}

/** Whether a URL string (with or without a scheme) holds user:password@ in its authority. */
export function hasUserinfoText(url: string): boolean {
  return authorityOf(url).text.includes('@');
}

/**
 * A URL string's authority: from after `scheme://` (or the start) to the first "/". A password may hold an
 * unencoded "?" or "#", so neither ends it here.
 */
function authorityOf(url: string): { start: number; text: string } {
  const scheme = url.indexOf('://');
  const start = scheme >= 0 ? scheme + 3 : 0;
  const slash = url.indexOf('/', start);
  return { start, text: slash < 0 ? url.slice(start) : url.slice(start, slash) };
}

export function hasUserinfo(url: URL): boolean {
  return url.username !== '' || url.password !== '';
}

export function header(res: { headers: HttpResponse['headers'] }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A low-speed limit for `readBody`: checked as chunks arrive (an idle timeout covers a body that stops). */
export interface BodyPace {
  limit: LowSpeedLimit;
  now: () => number;
  /** the error for a body below the limit, given the measured rate */
  onTooSlow: (bytesPerSecond: number) => Error;
}

/** Reads a response body up to `limit` bytes; more is an error from `onTooLarge`, too slow one from `pace`. */
export async function readBody(body: Readable, limit: number, onTooLarge: () => Error, pace?: BodyPace): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let meter: LowSpeedMeter | undefined;
  if (pace && lowSpeedEnabled(pace.limit)) {
    meter = new LowSpeedMeter(pace.limit);
    meter.setActive(true, pace.now());
    meter.sample(0, pace.now());
  }
  for await (const chunk of body) {
    const b = chunk as Buffer;
    size += b.byteLength;
    if (size > limit) {
      body.destroy();
      throw onTooLarge();
    }
    chunks.push(b);
    const slow = meter?.sample(size, (pace as BodyPace).now());
    if (slow !== undefined) {
      body.destroy();
      throw (pace as BodyPace).onTooSlow(slow);
    }
  }
  return Buffer.concat(chunks, size);
}

/** Discards a response body so the connection can be reused. Never throws. */
export async function drain(body: Readable): Promise<void> {
  try {
    const d = (body as Readable & { dump?: (o?: { limit: number }) => Promise<void> }).dump;
    if (d) await d.call(body, { limit: 65536 });
    else body.resume();
  } catch {
    /* a body we do not want anyway */
  }
}
