/**
 * A small Docker token-auth server (distribution `auth.token`) for tests.
 *
 * GET /token?service=…&scope=…&scope=… with optional Basic credentials.
 * Issues ES256 JWTs in the exact format distribution 2.8.2 accepts (`aud` is a
 * string, raw r||s signature, libtrust `kid`), granting the intersection of
 * the requested actions and what the ACL allows. Every request is recorded.
 */
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeSigningCert } from './certs.js';

/** Which repositories a rule applies to: glob (`*` matches anything, including `/`), RegExp or predicate. */
export type RepoMatcher = string | RegExp | ((repo: string) => boolean);

/** What one principal may do. Unlisted actions are denied. */
export interface AccessRule {
  pull?: RepoMatcher;
  push?: RepoMatcher;
  delete?: RepoMatcher;
  /** Grants `registry:catalog:*`. */
  catalog?: boolean;
}

/** One entry of the JWT `access` claim. */
export interface AccessEntryClaim {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServerOptions {
  /** Directory for the signing cert/key (must exist or be creatable). */
  dir: string;
  /** username → password. */
  users: Record<string, string>;
  /** username → rule. Default: every known user gets pull/push/delete on `*` and catalog. */
  acl?: Record<string, AccessRule>;
  /** Rule for requests without credentials. Default: nothing. */
  anonymous?: AccessRule;
  /** Seconds; `null` omits `expires_in` from the response (client should assume 60). Default 300. */
  expiresIn?: number | null;
  /** JWT `exp` lifetime in seconds; defaults to expiresIn (or 60 when omitted). */
  tokenLifetime?: number;
  service?: string;
  issuer?: string;
  /** Which response field(s) carry the token. Default 'token'. */
  tokenField?: 'token' | 'access_token' | 'both';
}

/** Record of one request to /token. */
export interface TokenRequestRecord {
  /** Username from Basic credentials, or null for anonymous. */
  user: string | null;
  /** Raw `scope=` parameter values, in order. */
  scopeParams: string[];
  /** Individual scopes (space-split). */
  scopes: string[];
  service: string | null;
  /** Access actually granted (empty on failure). */
  granted: AccessEntryClaim[];
  status: number;
  query: Record<string, string[]>;
}

export interface TokenServerHandle {
  url: string;
  /** Full realm URL (`<url>/token`). */
  realm: string;
  port: number;
  service: string;
  issuer: string;
  /** PEM certificate that the registry's `rootcertbundle` points at. */
  rootCertPath: string;
  /** libtrust key id of the signing key (JWT header `kid`). */
  keyId: string;
  /** All requests so far (mutable array; see reset()). */
  requests: TokenRequestRecord[];
  reset(): void;
  /** Sign an arbitrary token (for crafting expired / foreign tokens in tests). */
  signToken(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
  /** Get a token as a client would (Basic creds or anonymous). */
  fetchToken(scopes: string[], creds?: { username: string; password: string }): Promise<string>;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** libtrust key id: SHA-256(DER SPKI)[:30] → base32 (std, no pad) → groups of 4 joined with ':'. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const hash = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of hash) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join(':');
}

function matches(m: RepoMatcher | undefined, repo: string): boolean {
  if (m === undefined) return false;
  if (typeof m === 'function') return m(repo);
  if (m instanceof RegExp) return m.test(repo);
  const re = new RegExp('^' + m.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(repo);
}

/** Parse one scope: type before the first ':', actions after the last ':' (names may contain host:port). */
export function parseScope(scope: string): AccessEntryClaim | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return null;
  return {
    type: scope.slice(0, first).replace(/\(.*\)$/, ''),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter(Boolean),
  };
}

function grant(rule: AccessRule, req: AccessEntryClaim): AccessEntryClaim | null {
  let actions: string[] = [];
  if (req.type === 'registry' && req.name === 'catalog') {
    actions = rule.catalog ? req.actions.filter((a) => a === '*') : [];
  } else if (req.type === 'repository') {
    const allowed = (a: string): boolean =>
      a === '*'
        ? matches(rule.pull, req.name) && matches(rule.push, req.name) && matches(rule.delete, req.name)
        : (a === 'pull' || a === 'push' || a === 'delete') && matches(rule[a], req.name);
    actions = [...new Set(req.actions.filter(allowed))];
  }
  return actions.length > 0 ? { type: req.type, name: req.name, actions } : null;
}

/** Start a token server on 127.0.0.1 (random port) with a fresh ES256 signing cert. */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServerHandle> {
  const { certPath, keyPath } = await makeSigningCert(opts.dir);
  const key = createPrivateKey(await readFile(keyPath));
  const keyId = libtrustKeyId(new X509Certificate(await readFile(certPath)).publicKey);
  const service = opts.service ?? 'ferry-test-registry';
  const issuer = opts.issuer ?? 'ferry-test-issuer';
  const expiresIn = opts.expiresIn === undefined ? 300 : opts.expiresIn;
  const lifetime = opts.tokenLifetime ?? expiresIn ?? 60;
  const fullAccess: AccessRule = { pull: '*', push: '*', delete: '*', catalog: true };
  const requests: TokenRequestRecord[] = [];

  const signToken = (claims: Record<string, unknown>, header: Record<string, unknown> = {}): string => {
    const h = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', kid: keyId, ...header }));
    const p = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' });
    return `${h}.${p}.${b64url(sig)}`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://x');
    const query: Record<string, string[]> = {};
    for (const [k, v] of u.searchParams) (query[k] ??= []).push(v);
    const scopeParams = u.searchParams.getAll('scope');
    const scopes = scopeParams.flatMap((s) => s.split(' ')).filter(Boolean);
    const rec: TokenRequestRecord = {
      user: null, scopeParams, scopes, service: u.searchParams.get('service'), granted: [], status: 200, query,
    };
    requests.push(rec);
    const reply = (status: number, body: unknown): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname !== '/token') return reply(404, { error: 'not found' });
    if (req.method !== 'GET') return reply(404, { error: 'only GET is supported' });

    let rule: AccessRule = opts.anonymous ?? {};
    const authz = req.headers.authorization;
    if (authz) {
      const m = /^Basic\s+(.+)$/i.exec(authz);
      const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
      const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
      rec.user = user;
      if (!m || opts.users[user] === undefined || opts.users[user] !== pass) {
        res.setHeader('www-authenticate', 'Basic realm="ferry-test-token"');
        return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
      }
      rule = opts.acl?.[user] ?? (opts.acl ? {} : fullAccess);
    }
    const granted = scopes
      .map(parseScope)
      .filter((s): s is AccessEntryClaim => s !== null)
      .map((s) => grant(rule, s))
      .filter((s): s is AccessEntryClaim => s !== null);
    rec.granted = granted;
    const now = Math.floor(Date.now() / 1000);
    const token = signToken({
      iss: issuer, sub: rec.user ?? '', aud: service, exp: now + lifetime, nbf: now - 5, iat: now,
      jti: randomUUID(), access: granted,
    });
    const body: Record<string, unknown> = { issued_at: new Date(now * 1000).toISOString() };
    const field = opts.tokenField ?? 'token';
    if (field !== 'access_token') body.token = token;
    if (field !== 'token') body.access_token = token;
    if (expiresIn !== null) body.expires_in = expiresIn;
    reply(200, body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const realm = `${url}/token`;

  return {
    url, realm, port, service, issuer, rootCertPath: certPath, keyId, requests,
    reset: () => void requests.splice(0),
    signToken,
    async fetchToken(scopeList, creds) {
      const q = new URLSearchParams({ service });
      for (const s of scopeList) q.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds) headers.authorization = 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
      const res = await fetch(`${realm}?${q}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`token server answered ${res.status}: ${text}`);
      const json = JSON.parse(text) as { token?: string; access_token?: string };
      const tok = json.token ?? json.access_token;
      if (!tok) throw new Error('token server response has no token');
      return tok;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
