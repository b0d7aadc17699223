import { basicCredentials, type Credentials, type CredentialSource } from '../../credentials/types.js';

/** The credentials a registry session uses, and where it asks for them: defined once, in credentials/types.ts. */
export type { Credentials, CredentialSource };

export const anonymous: CredentialSource = async () => undefined;

/** Fixed credentials (library use; ferry's config and CLI resolve theirs through credentials/resolve.ts). */
export function staticCredentials(c: Credentials | undefined): CredentialSource {
  return async () => c;
}

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** Parses skopeo's `--creds USER[:PASSWORD]` (the password redacts itself in logs and JSON). */
export function parseCredsFlag(s: string): Credentials {
  const i = s.indexOf(':');
  return i < 0 ? basicCredentials(s, '') : basicCredentials(s.slice(0, i), s.slice(i + 1));
}
