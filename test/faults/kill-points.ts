/**
 * Kill points for the kill -9 test: a copy's requests, seen by proxies in front of the source and target
 * registries, are counted by kind, and the child copying is SIGKILLed when the k-th request of a chosen kind
 * arrives (dropped: the registry never sees it), is half sent (the registry gets a truncated body), or is done
 * (the registry has answered, the child never learns it). Driven by request events, not by time: the same
 * point is hit on a slow machine and a fast one.
 */
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { ProxyHandle } from '../harness/proxy.js';

export const KINDS = ['source-blob-get', 'blob-upload', 'blob-mount', 'child-manifest-put', 'tag-manifest-put'] as const;
export type Kind = (typeof KINDS)[number];
/** arrive: dropped on arrival; mid: half of the body forwarded, then cut; done: forwarded and answered upstream. */
export type Phase = 'arrive' | 'mid' | 'done';

export interface KillPoint {
  kind: Kind;
  k: number;
  phase: Phase;
}

export const describePoint = (p: KillPoint): string => `${p.phase} of ${p.kind} #${p.k}`;

/** Which kind of target request this is, for repositories under `prefix/` (undefined: not counted). */
export function targetKind(method: string, url: string, prefix: string): Kind | undefined {
  const u = new URL(url, 'http://x');
  const m = /^\/v2\/(.+)\/(blobs\/uploads|manifests)\/(.*)$/.exec(u.pathname);
  if (!m || !m[1]!.startsWith(`${prefix}/`)) return undefined;
  const [, repo, what, rest] = m as unknown as [string, string, string, string];
  if (what === 'manifests' && method === 'PUT') return rest.startsWith('sha256:') ? 'child-manifest-put' : 'tag-manifest-put';
  if (what !== 'blobs/uploads') return undefined;
  if (method === 'PUT' && u.searchParams.has('digest')) return 'blob-upload';
  const from = u.searchParams.get('from');
  if (method === 'POST' && u.searchParams.has('mount') && from !== null && from !== repo) return 'blob-mount';
  return undefined;
}

const isSourceBlobGet = (req: IncomingMessage): boolean => req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');

interface Round {
  prefix: string;
  point: KillPoint | undefined;
  victim: ChildProcess | undefined;
  fired: boolean;
  counts: Record<Kind, number>;
}

/** Installs the counting and killing hooks on both proxies; `arm` starts a round, `disarm` ends it. */
export class KillSwitch {
  private round: Round | undefined;
  private readonly killAfterAnswer = new WeakSet<IncomingMessage>();

  constructor(source: ProxyHandle, target: ProxyHandle) {
    const upstream = new URL(target.options.upstream.url);
    target.options.onRequest = (req) => {
      const r = this.round;
      if (!r) return 'pass';
      // Killed: nothing the child had not sent yet gets through (its requests already forwarded run to their end).
      if (r.fired) return { respond: (res) => void res.destroy() };
      const kind = targetKind(req.method ?? '', req.url ?? '', r.prefix);
      if (!kind || !this.count(r, kind)) return 'pass';
      const phase = (r.point as KillPoint).phase;
      if (phase === 'done') {
        this.killAfterAnswer.add(req);
        return 'pass';
      }
      if (phase === 'arrive') return { respond: (res) => void (this.kill(r), res.destroy()) };
      return {
        respond: (res, inbound) =>
          new Promise<void>((resolve) => {
            let once = false;
            const cut = (chunk?: Buffer): void => {
              if (once) return;
              once = true;
              inbound.pause();
              this.kill(r);
              if (!chunk) return void (res.destroy(), resolve());
              const up = httpRequest(new URL(inbound.url ?? '/', upstream), { method: inbound.method, headers: { ...inbound.headers, host: upstream.host } });
              up.on('error', () => undefined);
              up.write(chunk.subarray(0, Math.max(1, chunk.byteLength >> 1)), () => {
                up.destroy();
                res.destroy();
                resolve();
              });
            };
            inbound.once('data', cut);
            inbound.once('end', () => cut());
            inbound.once('close', () => cut());
          }),
      };
    };
    target.options.transformResponse = (req, up) => {
      const r = this.round;
      if (!r || !this.killAfterAnswer.has(req)) return undefined;
      this.kill(r);
      up.body.resume();
      return { ...up, body: new Readable({ read() { this.destroy(new Error('client killed')); } }) };
    };
    source.options.transformResponse = (req, up) => {
      const r = this.round;
      if (!r || r.fired || !isSourceBlobGet(req) || !this.count(r, 'source-blob-get')) return undefined;
      // Half of the first chunk reaches the child, then it dies in the middle of the download.
      const out = new PassThrough();
      up.body.on('error', () => undefined);
      up.body.once('data', (chunk: Buffer) => {
        up.body.pause();
        out.write(chunk.subarray(0, Math.max(1, chunk.byteLength >> 1)), () => {
          this.kill(r);
          up.body.destroy();
          out.destroy(new Error('client killed'));
        });
      });
      return { ...up, body: out };
    };
  }

  /** Starts a round for target repositories under `prefix/`: counts requests, kills `victim` at `point`. */
  arm(prefix: string, point?: KillPoint, victim?: ChildProcess): void {
    const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
    this.round = { prefix, point, victim, fired: false, counts };
  }

  /** Ends the round; returns what it counted and whether the kill fired. */
  disarm(): { counts: Record<Kind, number>; fired: boolean } {
    const r = this.round;
    this.round = undefined;
    return { counts: r?.counts ?? (Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>), fired: r?.fired ?? false };
  }

  /** Counts a request; true when it is the armed kill point. */
  private count(r: Round, kind: Kind): boolean {
    const n = ++r.counts[kind];
    return !r.fired && r.point?.kind === kind && r.point.k === n;
  }

  private kill(r: Round): void {
    r.fired = true;
    r.victim?.kill('SIGKILL');
  }
}

/**
 * Kill points covering every kind and phase: the first, middle and last occurrence (as counted in a complete
 * copy) where the position matters (downloads, uploads, tags), the first and last elsewhere.
 */
export function planKillPoints(counts: Record<Kind, number>): KillPoint[] {
  const pick = (n: number): number[] => [...new Set([1, Math.ceil(n / 2), n])].filter((k) => k >= 1);
  const ends = (n: number): number[] => [...new Set([1, n])].filter((k) => k >= 1);
  const at = (kind: Kind, phase: Phase, ks: number[]): KillPoint[] => ks.map((k) => ({ kind, k, phase }));
  return [
    ...at('source-blob-get', 'mid', pick(counts['source-blob-get'])),
    ...at('blob-upload', 'arrive', pick(counts['blob-upload'])),
    ...at('blob-upload', 'mid', [Math.ceil(counts['blob-upload'] / 2)]),
    ...at('blob-upload', 'done', pick(counts['blob-upload'])),
    ...at('blob-mount', 'arrive', [1]),
    ...at('blob-mount', 'done', [counts['blob-mount']]),
    ...at('child-manifest-put', 'arrive', [1]),
    ...at('child-manifest-put', 'done', ends(counts['child-manifest-put'])),
    ...at('tag-manifest-put', 'arrive', pick(counts['tag-manifest-put'])),
    ...at('tag-manifest-put', 'done', pick(counts['tag-manifest-put'])),
  ];
}
