import { FerryError, type ErrorContext } from '../errors.js';
import { repositoryScope } from './auth/scope.js';
import type { RegistryClient } from './client.js';
import { parseNextLink } from './transport/link.js';
import { readBody } from './transport/http.js';

/** Pages are parsed one at a time; a single page over this size is refused. */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** A listing that needs more pages than this is treated as a loop. */
const MAX_PAGES = 10_000;

/**
 * Follows `Link: <…>; rel="next"` pagination, yielding each page's entries. Guards against servers that
 * loop (a next link already visited, a page that repeats only entries already seen) and against runaway
 * page counts. Entries are yielded as received; callers dedupe and sort.
 */
async function* paginate(
  client: RegistryClient,
  firstPath: string,
  scopes: string[],
  field: 'tags' | 'repositories',
  ctx: ErrorContext,
  signal?: AbortSignal,
): AsyncGenerator<string[]> {
  const visited = new Set<string>();
  let url: string | undefined = client.url(firstPath);
  let seenEntries: Set<string> | undefined = new Set<string>();
  for (let page = 0; url; page++) {
    if (visited.has(url) || page >= MAX_PAGES) {
      throw new FerryError('PAGINATION_LOOP', `registry ${client.registry} keeps paginating ${field} (${page} pages, next link seen before); stopping`, ctx);
    }
    visited.add(url);
    const res = await client.send({ method: 'GET', path: url, scopes, expect: [200], context: ctx, signal });
    const text = (await readBody(res.body, MAX_PAGE_BYTES, () => new FerryError('RESPONSE_INVALID', `a ${field} page from registry ${client.registry} is larger than ${MAX_PAGE_BYTES} bytes`, ctx))).toString('utf8');
    let entries: unknown;
    try {
      entries = (JSON.parse(text) as Record<string, unknown>)[field];
    } catch {
      throw new FerryError('RESPONSE_INVALID', `registry ${client.registry} sent invalid JSON when listing ${field}${ctx.repository ? ` of ${ctx.repository}` : ''}`, ctx);
    }
    if (entries === null || entries === undefined) entries = [];
    if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'string')) {
      throw new FerryError('RESPONSE_INVALID', `registry ${client.registry} sent a malformed ${field} list${ctx.repository ? ` for ${ctx.repository}` : ''}`, ctx);
    }
    const list = entries as string[];
    const next = parseNextLink(res.headers.link, url);
    if (seenEntries) {
      // A non-empty page that brings nothing new means the server ignores `last`: stop.
      const fresh = list.filter((e) => !seenEntries!.has(e));
      if (page > 0 && list.length > 0 && fresh.length === 0) {
        throw new FerryError('PAGINATION_LOOP', `registry ${client.registry} returned the same ${field} again on page ${page + 1}; its pagination loops`, ctx);
      }
      for (const e of fresh) seenEntries.add(e);
      // keep memory bounded for huge listings: past 200k entries only the link-loop guard remains
      if (seenEntries.size > 200_000) seenEntries = undefined;
    }
    yield list;
    url = next;
  }
}

/** All tags of a repository, deduplicated, in the order first seen. */
export async function listTags(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<string[]> {
  const out = new Set<string>();
  for await (const page of paginate(client, `/v2/${repository}/tags/list`, [repositoryScope(repository, ['pull'])], 'tags', { registry: client.registry, repository }, signal)) {
    for (const t of page) out.add(t);
  }
  return [...out];
}

/** Repositories from `_catalog`, page by page (n as asked; distribution caps it at 1000). */
export function catalogPages(client: RegistryClient, opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<string[]> {
  return paginate(client, `/v2/_catalog?n=${opts.pageSize ?? 100}`, ['registry:catalog:*'], 'repositories', { registry: client.registry }, opts.signal);
}

export async function listCatalog(client: RegistryClient, opts: { pageSize?: number; maxItems?: number; signal?: AbortSignal } = {}): Promise<string[]> {
  const out = new Set<string>();
  for await (const page of catalogPages(client, opts)) {
    for (const r of page) {
      out.add(r);
      if (opts.maxItems && out.size >= opts.maxItems) return [...out];
    }
  }
  return [...out];
}
