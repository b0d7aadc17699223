import { inspect } from 'node:util';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** An OAuth2 refresh token (docker config `identitytoken`, or a helper's `<token>` user), exchanged at /token. */
export interface TokenCredentials {
  readonly identityToken: string;
}

export type Credentials = BasicCredentials | TokenCredentials;

/**
 * What the config says about a source's or target's credentials (its `auth:`), before any lookup. Resolved to a
 * `CredentialSource` by `credentialSource` (credentials/resolve.ts), the one place that decides.
 */
export type CredentialSetting =
  /** dregsy `auth:` (or ferry `${…}` references), already decoded */
  | { readonly kind: 'static'; readonly credentials: Credentials }
  /** `auth: none`: anonymous, never look anything up */
  | { readonly kind: 'none' }
  /** no `auth`: the Docker config (`auths`, `credHelpers`, `credsStore`) decides at run time */
  | { readonly kind: 'docker-config' };

/**
 * Where a registry session gets its credentials when it needs them: asked lazily (a Docker config helper runs only
 * when a registry asks for a login), undefined for anonymous.
 */
export type CredentialSource = () => Promise<Credentials | undefined>;

/** Looks up credentials for a registry, by its canonical name (`docker.io`, `host:port`). */
export interface CredentialProvider {
  get(registryCanonical: string): Promise<Credentials | undefined>;
}

export const REDACTED = '[redacted]';

function redacting<T extends object>(value: T, shown: Record<string, string>, text: string): T {
  Object.defineProperties(value, {
    toJSON: { value: () => ({ ...shown }), enumerable: false },
    toString: { value: () => text, enumerable: false },
    [inspect.custom]: { value: () => `Credentials { ${text} }`, enumerable: false },
  });
  return Object.freeze(value);
}

/** Username and password; the password never shows in JSON.stringify, String() or util.inspect. */
export function basicCredentials(username: string, password: string): BasicCredentials {
  return redacting({ username, password }, { username, password: REDACTED }, `user ${username}, password ${REDACTED}`);
}

export function tokenCredentials(identityToken: string): TokenCredentials {
  return redacting({ identityToken }, { identityToken: REDACTED }, `identity token ${REDACTED}`);
}

export function isTokenCredentials(c: Credentials): c is TokenCredentials {
  return 'identityToken' in c;
}

/** The setting for credentials given in the config or on the command line. */
export function staticSetting(credentials: Credentials): CredentialSetting {
  return { kind: 'static', credentials };
}
