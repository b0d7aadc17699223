/**
 * Minimal client-side auth for harness fixtures (deliberately independent of
 * ferry's src/): Basic for htpasswd registries, a token from the harness
 * token server for token registries.
 */
import type { Dispatcher } from 'undici';
import type { RegistryAuth } from './registry.js';
import type { TokenServerHandle } from './token-server.js';

/** What fixture helpers need to know about a registry (a RegistryHandle fits). */
export interface RegistryTarget {
  url: string;
  auth: RegistryAuth;
  dispatcher?: Dispatcher;
  username?: string;
  password?: string;
  tokenServer?: TokenServerHandle;
}

/** Explicit credentials, or 'anonymous' to send none. Omitted = the target's default user. */
export type Creds = { username: string; password: string } | 'anonymous';

/** Build the `Authorization` header value for the given scopes, or undefined for none. */
export async function authorizationFor(target: RegistryTarget, scopes: string[], creds?: Creds): Promise<string | undefined> {
  if (target.auth === 'none' || creds === 'anonymous') {
    if (target.auth === 'token' && target.tokenServer) {
      return `Bearer ${await target.tokenServer.fetchToken(scopes)}`;
    }
    return undefined;
  }
  const c = creds ?? (target.username !== undefined && target.password !== undefined
    ? { username: target.username, password: target.password } : undefined);
  if (!c) throw new Error('authorizationFor: registry needs credentials but none are known');
  if (target.auth === 'htpasswd') return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
  if (!target.tokenServer) throw new Error('authorizationFor: token registry without tokenServer');
  return `Bearer ${await target.tokenServer.fetchToken(scopes, c)}`;
}
