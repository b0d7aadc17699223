import type { ErrorCode } from '../errors.js';
import { basicHeader } from '../registry/auth/credentials.js';
import { apiJson } from '../registry/api-request.js';
import { checkRepositoryCount } from './api-limits.js';
import type { RepositoryLister, SessionCredentials, SessionFn } from './types.js';

/**
 * Harbor's project repositories API (`/api/v2.0/projects/{project}/repositories`): what a project member (or a
 * robot account) may list, where `_catalog` needs a system admin (dregsy #81). Pages of 100 until a short page.
 * The API is on the registry's own origin and goes through its session (TLS settings, certs-dir, retries); Harbor's
 * API takes Basic auth with the source's credentials, not the registry's bearer tokens.
 */
export function harborLister(o: { session: SessionFn; project: string; credentials: SessionCredentials; maxItems: number | null }): RepositoryLister {
  return {
    describe: `harbor project ${o.project}`,
    async list(signal) {
      const session = await o.session();
      const creds = await o.credentials(session);
      const headers: Record<string, string> = {};
      if (creds && 'username' in creds) headers.authorization = basicHeader(creds);
      // the endpoint the session settled on (its scheme may be the plain-HTTP fallback)
      const base = session.endpoint;
      const what = `listing Harbor project ${o.project}`;
      const out: string[] = [];
      for (let page = 1; page < 10_000; page++) {
        const url = `${base}/api/v2.0/projects/${encodeURIComponent(o.project)}/repositories?page=${page}&page_size=100`;
        const body = await apiJson(session, { method: 'GET', url, what, headers, advice: (code) => advice(code, o.project, headers.authorization !== undefined), ...(signal ? { signal } : {}) });
        const list = Array.isArray(body) ? (body as { name?: unknown }[]) : [];
        for (const r of list) {
          if (typeof r.name !== 'string') continue;
          out.push(r.name);
          checkRepositoryCount(out.length, what);
          if (o.maxItems && out.length >= o.maxItems) return out;
        }
        if (list.length < 100) break;
      }
      return out;
    },
  };
}

function advice(code: ErrorCode, project: string, withCredentials: boolean): string | undefined {
  if (code === 'NOT_FOUND') return `there is no Harbor project ${project} here (or this registry is not a Harbor): check the project (the from regex's first part, or search:) and the lister type`;
  if (code === 'UNAUTHORIZED') {
    return withCredentials
      ? `Harbor rejected the source's credentials: check the auth: of this task (a project member or a robot account)`
      : `project ${project} is private: give the source an auth: of a project member or a robot account`;
  }
  if (code === 'DENIED') return `the source's account may not list project ${project}: make it a member of the project, or use a robot account with list permission`;
  return undefined;
}
