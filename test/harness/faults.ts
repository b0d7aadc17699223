/**
 * Fault injection over the counting proxy (proxy.ts): a seeded, deterministic decision per request —
 * connection resets, 5xx, 429 with and without Retry-After, truncated, stalled and bit-flipped bodies — and a
 * Docker Hub pull-limit emulation (ratelimit-* headers, plain-text 429 once the window's pulls are spent).
 *
 * Determinism: whether a request is hit depends only on (seed, method, normalised path, how many times that
 * method+path was seen before), not on arrival order, so concurrent runs meet the same faults.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { startProxy, type ProxyHandle, type ProxyOptions, type ProxyUpstream, type RequestDecision, type UpstreamResponse } from './proxy.js';

export type FaultKind = 'reset' | '500' | '502' | '503' | '504' | '429-retry-after' | '429-hub' | 'truncate' | 'stall' | 'flip';
export const ALL_FAULTS: readonly FaultKind[] = ['reset', '500', '502', '503', '504', '429-retry-after', '429-hub', 'truncate', 'stall', 'flip'];
const BODY_FAULTS = new Set<FaultKind>(['truncate', 'stall', 'flip']);

export const HUB_429_BODY =
  'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits';

export interface FaultRecord {
  kind: FaultKind;
  method: string;
  path: string;
}

export interface FaultOptions {
  seed: number;
  /** share of requests hit, 0..1 */
  rate: number;
  kinds?: readonly FaultKind[];
  /** whether `kind` may hit this request (default: body faults only on GET manifests/blobs; flip only on blobs) */
  applies?: (req: IncomingMessage, kind: FaultKind) => boolean;
  /** Retry-After for '429-retry-after' (default alternates "1" and an HTTP date ~1 s ahead) */
  retryAfter?: () => string;
}

export interface FaultHooks {
  onRequest: NonNullable<ProxyOptions['onRequest']>;
  transformResponse: NonNullable<ProxyOptions['transformResponse']>;
  injected: FaultRecord[];
  counts(): Partial<Record<FaultKind, number>>;
  /** turn faults off (e.g. for verification requests through the same proxy) */
  enabled: boolean;
}

/** Uniform [0,1) from a string (sha256-based; plenty fast for test traffic). */
export function hashUnit(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0) / 2 ** 32;
}

/** A small seeded PRNG (mulberry32) for test decisions made in sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `/v2/a/blobs/uploads/<uuid>?_state=…&digest=d` → `/v2/a/blobs/uploads/*?d` (upload ids and states are random). */
export function normalisePath(url: string): string {
  const u = new URL(url, 'http://x');
  const keep = ['digest', 'mount'].map((k) => u.searchParams.get(k)).filter(Boolean).join('&');
  return u.pathname.replace(/(\/blobs\/uploads\/)[^/]+$/, '$1*') + (keep ? `?${keep}` : '');
}

const isBodyGet = (req: IncomingMessage): boolean => req.method === 'GET' && /\/(manifests|blobs)\/[^/]+$/.test((req.url ?? '').replace(/\?.*$/, '')) && !/\/blobs\/uploads\//.test(req.url ?? '');

export function defaultApplies(req: IncomingMessage, kind: FaultKind): boolean {
  if (!BODY_FAULTS.has(kind)) return true;
  if (!isBodyGet(req)) return false;
  // A flipped manifest byte is a hostile registry (terminal DIGEST_MISMATCH by design); blobs are re-fetched.
  if (kind === 'flip') return /\/blobs\//.test(req.url ?? '');
  return true;
}

export function faultHooks(o: FaultOptions): FaultHooks {
  const kinds = o.kinds ?? ALL_FAULTS;
  const applies = o.applies ?? defaultApplies;
  const seen = new Map<string, number>();
  const pending = new WeakMap<IncomingMessage, FaultKind>();
  let flipDate = false;
  const retryAfter = o.retryAfter ?? (() => ((flipDate = !flipDate) ? '1' : new Date(Date.now() + 1500).toUTCString()));
  const hooks: FaultHooks = {
    injected: [],
    enabled: true,
    counts: () => {
      const c: Partial<Record<FaultKind, number>> = {};
      for (const r of hooks.injected) c[r.kind] = (c[r.kind] ?? 0) + 1;
      return c;
    },
    onRequest: (req): RequestDecision => {
      if (!hooks.enabled) return 'pass';
      const id = `${req.method} ${normalisePath(req.url ?? '')}`;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      if (hashUnit(`${o.seed}|${id}|${n}`) >= o.rate) return 'pass';
      const possible = kinds.filter((k) => applies(req, k));
      if (possible.length === 0) return 'pass';
      const kind = possible[Math.floor(hashUnit(`${o.seed}|kind|${id}|${n}`) * possible.length)] as FaultKind;
      hooks.injected.push({ kind, method: req.method ?? '', path: req.url ?? '' });
      if (BODY_FAULTS.has(kind)) {
        pending.set(req, kind);
        return 'pass';
      }
      return { respond: (res, r) => respondWith(kind, res, r, retryAfter) };
    },
    transformResponse: (req, up): UpstreamResponse | undefined => {
      const kind = pending.get(req);
      if (!kind || (up.status !== 200 && up.status !== 206)) return undefined;
      const length = Number(up.headers['content-length'] ?? NaN);
      const cut = Number.isFinite(length) && length > 1 ? Math.floor(length / 2) : 1;
      if (kind === 'flip') return { ...up, body: up.body.pipe(flipByteAt(cut)) };
      return { ...up, body: cutBody(up.body, cut, kind === 'stall') };
    },
  };
  return hooks;
}

function respondWith(kind: FaultKind, res: ServerResponse, req: IncomingMessage, retryAfter: () => string): void {
  if (kind === 'reset') {
    req.socket.destroy();
    return;
  }
  if (kind === '429-hub') {
    res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(HUB_429_BODY);
    return;
  }
  const status = kind === '429-retry-after' ? 429 : Number(kind);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (kind === '429-retry-after') headers['retry-after'] = retryAfter();
  res.writeHead(status, headers);
  res.end(JSON.stringify({ errors: [{ code: status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: `injected fault ${kind}` }] }));
}

/** Passes `cut` bytes, then either breaks the connection (truncate) or goes silent forever (stall). */
export function cutBody(body: Readable, cut: number, stall: boolean): Readable {
  let sent = 0;
  const out = new Readable({ read() {} });
  body.on('data', (chunk: Buffer) => {
    if (sent >= cut) return;
    const part = chunk.subarray(0, cut - sent);
    sent += part.byteLength;
    out.push(part);
    if (sent >= cut) {
      body.destroy();
      if (!stall) setTimeout(() => out.destroy(new Error('injected truncation')), 5);
    }
  });
  body.on('error', (e) => {
    if (sent < cut) out.destroy(e); // after the cut, the upstream's own teardown is not ours to report
  });
  body.on('end', () => {
    if (!stall) out.push(null);
  });
  return out;
}

/**
 * A body that trickles: `bytes` of `body` every `everyMs` (a server behind a very slow link). Stops, and lets go
 * of upstream, when `until` (the client's socket) closes.
 */
export function dripBody(body: Readable, bytes: number, everyMs: number, until?: { once(e: 'close', f: () => void): unknown }): Readable {
  let pending = Buffer.alloc(0);
  let ended = false;
  body.on('data', (c: Buffer) => void (pending = Buffer.concat([pending, c])));
  body.on('end', () => void (ended = true));
  body.on('error', () => undefined);
  const timer = setInterval(() => {
    const piece = pending.subarray(0, bytes);
    pending = pending.subarray(piece.byteLength);
    if (piece.byteLength > 0) out.push(piece);
    else if (ended) {
      clearInterval(timer);
      out.push(null);
    }
  }, everyMs);
  const out = new Readable({
    read() {},
    destroy(err, cb) {
      clearInterval(timer);
      body.destroy();
      cb(err);
    },
  });
  until?.once('close', () => out.destroy());
  return out;
}

/**
 * Passes a stream on at most `bytes` every `everyMs` (a server reading an upload behind a slow link): its small
 * buffers fill at once, and backpressure holds the sender back.
 */
export function throttle(bytes: number, everyMs: number): Transform {
  let timer: NodeJS.Timeout | undefined;
  return new Transform({
    highWaterMark: bytes,
    transform(chunk: Buffer, _e, cb) {
      let at = 0;
      const next = (): void => {
        if (at >= chunk.byteLength) return cb();
        timer = setTimeout(() => {
          timer = undefined;
          this.push(chunk.subarray(at, at + bytes));
          at += bytes;
          next();
        }, everyMs);
      };
      next();
    },
    destroy(err, cb) {
      clearTimeout(timer);
      cb(err);
    },
  });
}

export function flipByteAt(at: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const b = Buffer.from(chunk);
      if (seen <= at && at < seen + b.byteLength) b[at - seen] = (b[at - seen] ?? 0) ^ 0xff;
      seen += b.byteLength;
      cb(null, b);
    },
  });
}

export interface HubLimitOptions {
  limit: number;
  windowSeconds: number;
  /** the limit's time source (a FakeClock in tests) */
  now: () => number;
  source?: string;
  /**
   * Hub's real shape: each pull leaves the window `windowSeconds` after it was made (default: fixed windows that
   * reset all at once, which is simpler to drive with a FakeClock)
   */
  rolling?: boolean;
  /** the `w=` announced in the headers, when it differs from the window enforced (a 6 h window, compressed) */
  announcedWindowSeconds?: number;
  /** whom a request is charged to (default: everyone shares one budget, as on one IP) */
  accountOf?: (req: IncomingMessage) => string;
}

export interface HubLimitHooks {
  onRequest: NonNullable<ProxyOptions['onRequest']>;
  transformResponse: NonNullable<ProxyOptions['transformResponse']>;
  /** manifest GETs that were charged */
  pulls: number;
  /** 429s sent */
  refused: number;
  /** manifest GETs charged per account (see `accountOf`) */
  pullsBy: Map<string, number>;
  /** someone else on the same IP (the default account) pulls `n` times */
  spend(n: number): void;
  remaining(account?: string): number;
}

/** Docker Hub's pull limit: GET manifests count, HEAD are free, both carry the headers. */
export function hubLimitHooks(o: HubLimitOptions): HubLimitHooks {
  const windowMs = o.windowSeconds * 1000;
  const DEFAULT = '';
  /** per account: the times of the pulls in the current window (fixed: since the window began) */
  const accounts = new Map<string, { window: number; times: number[] }>();
  const charged = (account: string): number[] => {
    const now = o.now();
    let a = accounts.get(account);
    if (!a) accounts.set(account, (a = { window: -1, times: [] }));
    if (o.rolling) a.times = a.times.filter((t) => t > now - windowMs);
    else {
      const w = Math.floor(now / windowMs);
      if (w !== a.window) {
        a.window = w;
        a.times = [];
      }
    }
    return a.times;
  };
  const left = (account: string): number => Math.max(0, o.limit - charged(account).length);
  const announced = o.announcedWindowSeconds ?? o.windowSeconds;
  const headers = (account: string): Record<string, string> => ({
    'ratelimit-limit': `${o.limit};w=${announced}`,
    'ratelimit-remaining': `${left(account)};w=${announced}`,
    'docker-ratelimit-source': o.source ?? (account || '192.0.2.1'),
  });
  const accountOf = (req: IncomingMessage): string => o.accountOf?.(req) ?? DEFAULT;
  const isManifest = (req: IncomingMessage): boolean => /\/manifests\/[^/]+$/.test((req.url ?? '').replace(/\?.*$/, ''));
  const hooks: HubLimitHooks = {
    pulls: 0,
    refused: 0,
    pullsBy: new Map(),
    spend: (n) => {
      const times = charged(DEFAULT);
      for (let i = 0; i < n; i++) times.push(o.now());
    },
    remaining: (account = DEFAULT) => left(account),
    onRequest: (req): RequestDecision => {
      if (!isManifest(req) || req.method !== 'GET') return 'pass';
      const account = accountOf(req);
      const times = charged(account);
      if (times.length < o.limit) {
        times.push(o.now());
        hooks.pulls++;
        hooks.pullsBy.set(account, (hooks.pullsBy.get(account) ?? 0) + 1);
        return 'pass';
      }
      hooks.refused++;
      return {
        respond: (res) => {
          res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', ...headers(account) });
          res.end(HUB_429_BODY);
        },
      };
    },
    transformResponse: (req, up) => {
      if (!isManifest(req)) return undefined;
      return { ...up, headers: { ...up.headers, ...headers(accountOf(req)) } };
    },
  };
  return hooks;
}

/** A proxy in front of `upstream` driven by the given hooks. */
export function startHookedProxy(upstream: ProxyUpstream, hooks: Pick<FaultHooks, 'onRequest' | 'transformResponse'>): Promise<ProxyHandle> {
  return startProxy({ upstream, onRequest: hooks.onRequest, transformResponse: hooks.transformResponse });
}
