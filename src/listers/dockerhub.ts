import { FerryError, type ErrorCode } from '../errors.js';
import { apiJson } from '../registry/api-request.js';
import { checkRepositoryCount } from './api-limits.js';
import type { RepositoryLister, SessionCredentials, SessionFn } from './types.js';

export const HUB_API = 'https://hub.docker.com';

export interface DockerHubListerOptions {
  /** the namespace (user or organisation) to list; default: the login user */
  namespace?: string;
  /** the source registry's session: Hub's API goes through its transport (TLS settings, retries, limits) */
  session: SessionFn;
  /** the source's credentials: the Hub account, sent only to the Hub API's login */
  credentials: SessionCredentials;
  maxItems: number | null;
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
 *
 * Hub's API (hub.docker.com) is another origin than the registry (registry-1.docker.io). It is reached through the
 * source registry's session, so its TLS settings, retries and limits apply, but never with the session's registry
 * tokens: the account's username and password go only in the body of the API's own login, and the JWT it returns
 * only to the API's origin.
 */
export function dockerHubLister(o: DockerHubListerOptions): RepositoryLister {
  const api = (o.api ?? HUB_API).replace(/\/+$/, '');
  return {
    describe: `dockerhub ${o.namespace ?? '(login user)'}`,
    async list(signal) {
      const session = await o.session();
      const creds = await o.credentials(session);
      const basic = creds && 'username' in creds ? creds : undefined;
      const namespace = o.namespace ?? basic?.username;
      if (!namespace) {
        throw new FerryError('CONFIG_INVALID', 'the dockerhub lister needs a namespace: start the from regex with it (regex:myorg/.*) or give the source an auth: to list the login user');
      }
      const sig = signal ? { signal } : {};
      const headers: Record<string, string> = {};
      if (basic) {
        const body = await apiJson(session, {
          method: 'POST',
          url: `${api}/v2/users/login/`,
          what: 'Docker Hub login',
          json: { username: basic.username, password: basic.password },
          advice: (code) => loginAdvice(code, basic.username),
          ...sig,
        });
        const token = (body as { token?: unknown }).token;
        if (typeof token === 'string') headers.authorization = `JWT ${token}`;
      }
      const what = `listing Docker Hub namespace ${namespace}`;
      const out: string[] = [];
      let url: string | undefined = `${api}/v2/repositories/${encodeURIComponent(namespace)}/?page_size=100`;
      const seen = new Set<string>();
      while (url && !seen.has(url)) {
        seen.add(url);
        const page = (await apiJson(session, { method: 'GET', url, what, headers, advice: (code) => listAdvice(code, namespace, basic !== undefined), ...sig })) as RepoPage;
        for (const r of page.results ?? []) {
          if (!r.name || (r.repository_type && r.repository_type !== 'image')) continue;
          out.push(`${r.namespace ?? namespace}/${r.name}`);
          checkRepositoryCount(out.length, what);
          if (o.maxItems && out.length >= o.maxItems) return out;
        }
        url = page.next ? hubNext(page.next, url, api) : undefined;
      }
      return out;
    },
  };
}

function loginAdvice(code: ErrorCode, username: string): string | undefined {
  if (code === 'UNAUTHORIZED' || code === 'DENIED') {
    return `Docker Hub refused the login of ${username}: check the source's auth (a username with its password or a personal access token)`;
  }
  return undefined;
}

function listAdvice(code: ErrorCode, namespace: string, loggedIn: boolean): string | undefined {
  if (code === 'NOT_FOUND') return `Docker Hub has no namespace ${namespace} (or hides it from this account): check the namespace at the start of the from regex`;
  if (code === 'UNAUTHORIZED' || code === 'DENIED') {
    return loggedIn
      ? `the account may not list namespace ${namespace}: use an account that is a member of it`
      : `namespace ${namespace} needs a login: give the source an auth: of an account that may list it`;
  }
  return undefined;
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
