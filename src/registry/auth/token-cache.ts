import type { Clock } from '../../clock.js';

/** A bearer token and when it stops being usable. */
export interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/** Tokens are refreshed this long before they expire. */
const RENEW_BEFORE_MS = 5_000;
/** The spec's default lifetime when `expires_in` is absent, and the minimum it allows. */
export const DEFAULT_TOKEN_TTL_S = 60;

/** Token cache keyed by realm, service and the sorted scope set. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  constructor(private readonly clock: Clock) {}

  static key(realm: string, service: string, scopes: readonly string[]): string {
    return `${realm}\u0000${service}\u0000${[...scopes].sort().join(' ')}`;
  }

  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (this.clock.now() >= t.expiresAtMs - RENEW_BEFORE_MS) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  set(key: string, token: string, expiresInS: number | undefined, issuedAt: string | undefined): void {
    const now = this.clock.now();
    let issued = issuedAt ? Date.parse(issuedAt) : NaN;
    // clock skew: an issue time in the future or long past falls back to now, as regclient does
    if (!Number.isFinite(issued) || issued > now || issued + (expiresInS ?? DEFAULT_TOKEN_TTL_S) * 1000 < now) issued = now;
    const ttl = Math.max(expiresInS ?? DEFAULT_TOKEN_TTL_S, DEFAULT_TOKEN_TTL_S);
    this.tokens.set(key, { token, expiresAtMs: issued + ttl * 1000 });
  }

  invalidate(key: string): void {
    this.tokens.delete(key);
  }
}
