import { apiJson } from '../registry/api-request.js';
import type { RepositoryLister, SessionFn } from './types.js';

export const HUB_INDEX = 'https://index.docker.io';

/**
 * dregsy's `index` lister: a registry search (`/v1/search?q=…&n=…`). For Docker Hub the term is used as given;
 * official images come back without `library/`, so write the regex for `redis`, not `library/redis`.
 * Hub's search caps `n` at 100. The search is anonymous and goes through the source's session (its TLS settings
 * and retries apply).
 */
export function indexLister(o: { session: SessionFn; search: string; maxItems: number | null; index?: string }): RepositoryLister {
  const base = (o.index ?? HUB_INDEX).replace(/\/+$/, '');
  const n = Math.min(100, Math.max(1, o.maxItems ?? 100));
  return {
    describe: `index search "${o.search}"`,
    async list(signal) {
      const url = `${base}/v1/search?q=${encodeURIComponent(o.search)}&n=${n}`;
      const body = await apiJson(await o.session(), {
        method: 'GET',
        url,
        what: `searching ${base} for "${o.search}"`,
        advice: (code) => (code === 'NOT_FOUND' ? `${base} offers no search (/v1/search): use lister type catalog for this registry` : undefined),
        ...(signal ? { signal } : {}),
      });
      const results = (body as { results?: { name?: unknown }[] }).results ?? [];
      return results.flatMap((r) => (typeof r.name === 'string' ? [r.name] : [])).slice(0, n);
    },
  };
}
