import type { Credentials } from '../registry/auth/credentials.js';
import type { RegistryClient } from '../registry/client.js';

/** Lists a source registry's repositories for `from: regex:` mappings (dregsy's repo listers, spec §3). */
export interface RepositoryLister {
  /** e.g. `catalog`, `dockerhub spaceone`, `harbor project` — for logs */
  readonly describe: string;
  /** Repository names without a leading slash (`team/app`); official Hub images may come without `library/`. */
  list(signal?: AbortSignal): Promise<string[]>;
}

/** The source registry's session, connected on first use: every lister's requests go through its transport. */
export type SessionFn = () => Promise<RegistryClient>;

/**
 * The credentials a session logs in to a side API with (Hub's login, Harbor's Basic auth): the account that session
 * uses, which for a source with several accounts is the one the registry pool chose.
 */
export type SessionCredentials = (session: RegistryClient) => Promise<Credentials | undefined>;
