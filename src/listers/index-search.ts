import { fetchJson } from './http-json.js';
import type { FetchFn, RepositoryLister } from './types.js';

export const HUB_INDEX = 'https://index.docker.io';

/**
 * dregsy's `index` lister: a registry search (`/v1/search?q=…&n=…`). For Docker Hub the term is used as given;
 * official images come back without `library/`, so write the regex for `redis`, not `library/redis`.
 * Hub's search caps `n` at 100.
 */
export function indexLister(o: { search: string; maxItems: number | null; index?: string; fetch?: FetchFn }): RepositoryLister {
  const f = o.fetch ?? fetch;
  const base = (o.index ?? HUB_INDEX).replace(/\/+$/, '');
  const n = Math.min(100, Math.max(1, o.maxItems ?? 100));
  return {
    describe: `index search "${o.search}"`,
    async list(signal) {
      const url = `${base}/v1/search?q=${encodeURIComponent(o.search)}&n=${n}`;
      const { body } = await fetchJson(f, url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) }, `searching ${base} for "${o.search}"`);
      const results = (body as { results?: { name?: unknown }[] }).results ?? [];
      return results.flatMap((r) => (typeof r.name === 'string' ? [r.name] : [])).slice(0, n);
    },
  };
}
