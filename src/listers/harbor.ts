import type { Credentials } from '../registry/auth/credentials.js';
import { basicHeader } from '../registry/auth/credentials.js';
import { checkRepositoryCount, fetchJson } from './http-json.js';
import type { FetchFn, RepositoryLister } from './types.js';

/**
 * Harbor's project repositories API (`/api/v2.0/projects/{project}/repositories`): what a project member (or a
 * robot account) may list, where `_catalog` needs a system admin (dregsy #81). Pages of 100 until a short page.
 */
export function harborLister(o: {
  endpoint: string;
  project: string;
  credentials: () => Promise<Credentials | undefined>;
  maxItems: number | null;
  fetch?: FetchFn;
}): RepositoryLister {
  const f = o.fetch ?? fetch;
  const base = o.endpoint.replace(/\/+$/, '');
  return {
    describe: `harbor project ${o.project}`,
    async list(signal) {
      const creds = await o.credentials();
      const headers: Record<string, string> = { accept: 'application/json' };
      if (creds && 'username' in creds) headers.authorization = basicHeader(creds);
      const out: string[] = [];
      for (let page = 1; page < 10_000; page++) {
        const url = `${base}/api/v2.0/projects/${encodeURIComponent(o.project)}/repositories?page=${page}&page_size=100`;
        const { body } = await fetchJson(f, url, { headers, ...(signal ? { signal } : {}) }, `listing Harbor project ${o.project}`);
        const list = Array.isArray(body) ? (body as { name?: unknown }[]) : [];
        for (const r of list) {
          if (typeof r.name !== 'string') continue;
          out.push(r.name);
          checkRepositoryCount(out.length, `listing Harbor project ${o.project}`);
          if (o.maxItems && out.length >= o.maxItems) return out;
        }
        if (list.length < 100) break;
      }
      return out;
    },
  };
}
