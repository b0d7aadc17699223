import { FerryError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log/logger.js';
import { isLoopbackHost } from '../transport/loopback.js';
import { drain, hasUserinfo, readBody, redactUrl, type HttpFn, type HttpResponse } from '../transport/http.js';
import { parseChallenges, challengeScopes, type Challenge } from './challenge.js';
import { basicHeader, type CredentialSource, type Credentials } from './credentials.js';
import { mergeScopes } from './scope.js';
import { TokenCache } from './token-cache.js';

export interface AuthenticatorOptions {
  registry: string;
  /** API base, e.g. https://registry-1.docker.io */
  endpoint: string;
  credentials: CredentialSource;
  /** transport for the registry itself */
  http: HttpFn;
  /** transport for a token realm on another origin (verified TLS, no client certificate) */
  httpForRealm: (url: string) => HttpFn;
  clock: Clock;
  logger: Logger;
  tokenCache?: TokenCache;
  userAgent: string;
}

/**
 * Decides the Authorization header for each request: pings once for the challenge, then uses Basic or
 * Bearer tokens (fetched for exactly the scopes asked, cached per realm/service/scope set). When a 401 names
 * more scopes (insufficient_scope) or another scheme (Harbor's Basic after a Bearer), it adapts once.
 */
export class Authenticator {
  private challenge: Challenge | undefined | null = null; // null = not pinged yet, undefined = open registry
  private pinging: Promise<void> | undefined;
  private creds: Promise<Credentials | undefined> | undefined;
  private readonly tokens: TokenCache;

  constructor(private readonly o: AuthenticatorOptions) {
    this.tokens = o.tokenCache ?? new TokenCache(o.clock);
  }

  private credentials(): Promise<Credentials | undefined> {
    this.creds ??= this.o.credentials();
    return this.creds;
  }

  async hasCredentials(): Promise<boolean> {
    return (await this.credentials()) !== undefined;
  }

  /** GET /v2/ without credentials, once; remembers the challenge (if any). */
  async ping(signal?: AbortSignal): Promise<void> {
    if (this.challenge !== null) return;
    this.pinging ??= (async () => {
      const res = await this.o.http({
        method: 'GET',
        url: `${this.o.endpoint}/v2/`,
        headers: { 'user-agent': this.o.userAgent },
        signal,
      });
      await drain(res.body);
      if (res.status === 401) this.challenge = pick(parseChallenges(res.headers['www-authenticate']));
      else if (res.status >= 200 && res.status < 300) this.challenge = undefined;
      else if (res.status === 404) {
        throw new FerryError('NOT_FOUND', `registry ${this.o.registry} does not answer the registry API at ${this.o.endpoint}/v2/ (HTTP 404); check the registry address`, {
          registry: this.o.registry,
          status: 404,
        });
      } else {
        // A 5xx on ping: let the real request surface the error with its retries.
        this.challenge = undefined;
      }
    })().finally(() => {
      this.pinging = undefined;
    });
    await this.pinging;
  }

  /** The Authorization header for a request needing `scopes`, or undefined for none. */
  async authorization(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    if (this.challenge === null) await this.ping(signal);
    const ch = this.challenge;
    if (!ch) return undefined;
    const creds = await this.credentials();
    if (ch.scheme === 'basic') {
      return creds && 'username' in creds ? basicHeader(creds) : undefined;
    }
    if (ch.scheme === 'bearer') return `Bearer ${await this.token(ch, scopes, creds, signal)}`;
    return undefined;
  }

  /**
   * Called with a 401 answer. Returns the scopes to retry with, or undefined when retrying cannot help.
   * Invalidates the token used so the retry fetches a fresh one.
   */
  onUnauthorized(res: HttpResponse, scopes: string[]): string[] | undefined {
    const next = pick(parseChallenges(res.headers['www-authenticate']));
    if (!next) return undefined;
    const prev = this.challenge;
    if (prev?.scheme === 'bearer') {
      this.tokens.invalidate(TokenCache.key(prev.params.realm ?? '', prev.params.service ?? '', mergeScopes(scopes)));
    }
    this.challenge = next;
    // Bearer: retry with the union of what we asked and what the challenge names (insufficient_scope, mounts).
    if (next.scheme === 'bearer') return mergeScopes([...scopes, ...challengeScopes(next)]);
    // Basic after Bearer (Harbor) or after no auth at all: retry once with Basic. Basic after Basic: wrong credentials.
    return prev?.scheme === 'basic' ? undefined : scopes;
  }

  private async token(ch: Challenge, scopes: string[], creds: Credentials | undefined, signal?: AbortSignal): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) {
      throw new FerryError('RESPONSE_INVALID', `registry ${this.o.registry} sent a Bearer challenge without a realm`, {
        registry: this.o.registry,
      });
    }
    const service = ch.params.service ?? '';
    const wanted = mergeScopes(scopes);
    const key = TokenCache.key(realm, service, wanted);
    const cached = this.tokens.get(key);
    if (cached) return cached;

    let realmUrl: URL;
    try {
      realmUrl = new URL(realm, `${this.o.endpoint}/v2/`);
    } catch {
      throw new FerryError('RESPONSE_INVALID', `registry ${this.o.registry} sent a Bearer challenge whose realm is not a URL`, { registry: this.o.registry });
    }
    if ((realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') || hasUserinfo(realmUrl)) {
      throw new FerryError(
        'RESPONSE_INVALID',
        `registry ${this.o.registry} sent a Bearer challenge whose realm (${redactUrl(realmUrl.href)}) is not an http(s) URL without user:password@; ferry does not use it`,
        { registry: this.o.registry },
      );
    }
    const endpointUrl = new URL(this.o.endpoint);
    if (creds && realmUrl.protocol === 'http:' && endpointUrl.protocol === 'https:' && !isLoopbackHost(realmUrl.host)) {
      throw new FerryError(
        'DENIED',
        `registry ${this.o.registry} asks for credentials at a plain-http token realm (${realmUrl.origin}); refusing to send them unencrypted`,
        { registry: this.o.registry },
      );
    }
    const headers: Record<string, string> = { 'user-agent': this.o.userAgent };
    let method: 'GET' | 'POST' = 'GET';
    let body: Uint8Array | undefined;
    if (creds && 'identityToken' in creds) {
      method = 'POST';
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        service,
        client_id: 'ferry',
        scope: wanted.join(' '),
      });
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) realmUrl.searchParams.set('service', service);
      for (const s of wanted) realmUrl.searchParams.append('scope', s);
      if (creds) {
        headers.authorization = basicHeader(creds);
        realmUrl.searchParams.set('account', creds.username);
      }
    }
    const http = realmUrl.origin === endpointUrl.origin ? this.o.http : this.o.httpForRealm(realmUrl.href);
    const res = await http({ method, url: realmUrl.href, headers, body: body ?? null, signal });
    const text = (await readBody(res.body, 1 << 20, () => new FerryError('RESPONSE_INVALID', 'token response too large'))).toString('utf8');
    if (res.status === 401 || res.status === 403) {
      throw new FerryError(
        'UNAUTHORIZED',
        `registry ${this.o.registry}: the token service ${realmUrl.origin} refused ${creds ? 'the configured credentials' : 'anonymous access'} for ${wanted.join(' ') || 'the registry'} (HTTP ${res.status}); check the username and password${creds ? '' : ', or configure credentials'}`,
        { registry: this.o.registry, status: res.status },
      );
    }
    if (res.status !== 200) {
      throw new FerryError('REGISTRY_ERROR', `registry ${this.o.registry}: token service ${redactUrl(realmUrl.href)} answered HTTP ${res.status}`, {
        registry: this.o.registry,
        status: res.status,
      });
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new FerryError('RESPONSE_INVALID', `registry ${this.o.registry}: token service answered with invalid JSON`, { registry: this.o.registry });
    }
    const token = parsed.token ?? parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new FerryError('RESPONSE_INVALID', `registry ${this.o.registry}: token service answered without a token`, { registry: this.o.registry });
    }
    this.tokens.set(key, token, typeof parsed.expires_in === 'number' ? parsed.expires_in : undefined, parsed.issued_at);
    this.o.logger.debug({ registry: this.o.registry, scopes: wanted, realm: realmUrl.origin }, 'token obtained');
    return token;
  }
}

/** Prefers Bearer, then Basic, as containers/image does. */
function pick(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

