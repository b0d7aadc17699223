import { FerryError } from '../errors.js';
import type { Credentials } from '../registry/auth/credentials.js';
import { checkRepositoryCount, fetchJson } from './http-json.js';
import type { FetchFn, RepositoryLister } from './types.js';

export const HUB_API = 'https://hub.docker.com';

export interface DockerHubListerOptions {
  /** the namespace (user or organisation) to list; default: the login user */
  namespace?: string;
  credentials: () => Promise<Credentials | undefined>;
  maxItems: number | null;
  fetch?: FetchFn;
  /** the Hub API origin (tests point it elsewhere) */
  api?: string;
}

interface RepoPage {
  next?: string | null;
  results?: { name?: string; namespace?: string; repository_type?: string | null }[];
}

/**
 * Hub's repository API (dregsy `dockerhub`): logs in for a JWT when credentials are given (so private repositories
 * show), then lists `/v2/repositories/<namespace>/` following `next`. Unlike dregsy, any namespace can be listed:
 * the literal prefix of the `from` regex (`spaceone/plugin-.*` lists `spaceone`), else the login user.
 */
export function dockerHubLister(o: DockerHubListerOptions): RepositoryLister {
  const f = o.fetch ?? fetch;
  const api = (o.api ?? HUB_API).replace(/\/+$/, '');
  return {
    describe: `dockerhub ${o.namespace ?? '(login user)'}`,
    async list(signal) {
      const creds = await o.credentials();
      const basic = creds && 'username' in creds ? creds : undefined;
      const namespace = o.namespace ?? basic?.username;
      if (!namespace) {
        throw new FerryError('CONFIG_INVALID', 'the dockerhub lister needs a namespace: start the from regex with it (regex:myorg/.*) or give the source an auth: to list the login user');
      }
      const headers: Record<string, string> = { accept: 'application/json' };
      if (basic) {
        const { body } = await fetchJson(
          f,
          `${api}/v2/users/login/`,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: basic.username, password: basic.password }), ...(signal ? { signal } : {}) },
          'Docker Hub login',
        );
        const token = (body as { token?: unknown }).token;
        if (typeof token === 'string') headers.authorization = `JWT ${token}`;
      }
      const out: string[] = [];
      let url: string | undefined = `${api}/v2/repositories/${encodeURIComponent(namespace)}/?page_size=100`;
      const seen = new Set<string>();
      while (url && !seen.has(url)) {
        seen.add(url);
        const { body } = await fetchJson(f, url, { headers, ...(signal ? { signal } : {}) }, `listing Docker Hub namespace ${namespace}`);
        const page = body as RepoPage;
        for (const r of page.results ?? []) {
          if (!r.name || (r.repository_type && r.repository_type !== 'image')) continue;
          out.push(`${r.namespace ?? namespace}/${r.name}`);
          checkRepositoryCount(out.length, `listing Docker Hub namespace ${namespace}`);
          if (o.maxItems && out.length >= o.maxItems) return out;
        }
        url = page.next ? hubNext(page.next, url, api) : undefined;
      }
      return out;
    },
  };
}

/**
 * Hub's `next` URL, only when it stays on the API origin (same scheme, host and port) without user:password@: the
 * JWT goes with every page, so a page may not send ferry elsewhere.
 */
function hubNext(next: unknown, current: string, api: string): string {
  let url: URL | undefined;
  try {
    url = typeof next === 'string' ? new URL(next, current) : undefined;
  } catch {
    url = undefined;
  }
  const origin = new URL(api).origin;
  if (!url || url.origin !== origin || url.username !== '' || url.password !== '') {
    throw new FerryError('RESPONSE_INVALID', `Docker Hub's repository list sent a next page that ferry does not follow: it must stay on ${origin}`);
  }
  return url.href;
}
