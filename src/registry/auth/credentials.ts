/** Credentials for one registry. Never logged: holders redact themselves in JSON. */
export type Credentials = { username: string; password: string } | { identityToken: string };

/** Where a registry client gets its credentials; resolved lazily, once per client. */
export type CredentialSource = () => Promise<Credentials | undefined>;

export const anonymous: CredentialSource = async () => undefined;

export function staticCredentials(c: Credentials | undefined): CredentialSource {
  return async () => c;
}

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Parses skopeo's `--creds USER[:PASSWORD]`. */
export function parseCredsFlag(s: string): Credentials {
  const i = s.indexOf(':');
  return i < 0 ? { username: s, password: '' } : { username: s.slice(0, i), password: s.slice(i + 1) };
}
