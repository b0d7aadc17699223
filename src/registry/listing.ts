import { FerryError, statusOf, type ErrorContext } from '../errors.js';
import { assertRepository, isValidTag } from '../ref/reference.js';
import { escapeName } from '../safe-text.js';
import type { RegistryClient } from './client.js';
import { scopesFor, type AccessScope } from './refs.js';
import { tagsListPath } from './paths.js';
import { hasUserinfo } from './transport/http.js';
import { parseNextLink } from './transport/link.js';

/**
 * Caps against hostile or broken listings (docs/security.md): a listing that goes over one fails with
 * RESPONSE_INVALID naming the registry, the repository and the cap.
 */
export interface ListingLimits {
  /** one page's body (default 16 MiB); pages are parsed one at a time */
  maxPageBytes: number;
  /** entries of one tag listing, counted across pages (default 100,000) */
  maxTags: number;
  /** entries of one `_catalog` listing, counted across pages (default 100,000) */
  maxRepositories: number;
}

export const DEFAULT_LISTING_LIMITS: Readonly<ListingLimits> = Object.freeze({
  maxPageBytes: 16 * 1024 * 1024,
  maxTags: 100_000,
  maxRepositories: 100_000,
});

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
  signal: AbortSignal | undefined,
  limits: Partial<ListingLimits> = {},
): AsyncGenerator<string[]> {
  const maxPageBytes = limits.maxPageBytes ?? DEFAULT_LISTING_LIMITS.maxPageBytes;
  const maxEntries = field === 'tags' ? (limits.maxTags ?? DEFAULT_LISTING_LIMITS.maxTags) : (limits.maxRepositories ?? DEFAULT_LISTING_LIMITS.maxRepositories);
  const where = ctx.repository ? ` for repository ${ctx.repository}` : '';
  let total = 0;
  const visited = new Set<string>();
  let url: string | undefined = client.url(firstPath);
  let seenEntries: Set<string> | undefined = new Set<string>();
  for (let page = 0; url; page++) {
    if (visited.has(url) || page >= MAX_PAGES) {
      throw new FerryError('PAGINATION_LOOP', `registry ${client.registry} keeps paginating ${field} (${page} pages, next link seen before); stopping`, ctx);
    }
    visited.add(url);
    const { res, bytes } = await client.fetchBody({ method: 'GET', path: url, scopes, expect: [200], context: ctx, signal }, maxPageBytes, () =>
      new FerryError('RESPONSE_INVALID', `a ${field} page from registry ${client.registry}${where} is larger than ${maxPageBytes} bytes; refusing the listing`, ctx),
    );
    const text = bytes.toString('utf8');
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
    total += list.length;
    if (total > maxEntries) {
      throw new FerryError(
        'RESPONSE_INVALID',
        `registry ${client.registry} lists more than ${maxEntries} ${field}${where}; ferry refuses listings over this cap (a broken or hostile registry?)`,
        ctx,
      );
    }
    const next = parseNextLink(res.headers.link, url);
    if (next !== undefined) checkSameOrigin(client, next, url, field, ctx);
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

/**
 * A next link stays on the origin of the page that gave it (scheme, host and port: no other host, no https→http)
 * and carries no user:password@. Anything else is refused before it is requested.
 */
function checkSameOrigin(client: RegistryClient, next: string, current: string, field: string, ctx: ErrorContext): void {
  const to = new URL(next);
  const from = new URL(current);
  if (to.origin === from.origin && !hasUserinfo(to)) return;
  const why = hasUserinfo(to) ? 'it holds user:password@' : `it leads to ${to.origin}, away from ${from.origin}`;
  throw new FerryError('RESPONSE_INVALID', `registry ${client.registry} sent a pagination link for its ${field}${ctx.repository ? ` of ${ctx.repository}` : ''} that ferry does not follow: ${why}`, ctx);
}

export interface TagListOptions {
  signal?: AbortSignal;
  /** caps (defaults: DEFAULT_LISTING_LIMITS) */
  limits?: Partial<ListingLimits>;
  /**
   * Called once per listing for each listed tag that breaks distribution's grammar (`y?digest=…`, `z#frag`,
   * `x/../evil`), with an error naming registry, repository and the escaped tag; the tag is skipped (default: a
   * warning on the client's logger).
   */
  onInvalid?: (err: FerryError) => void;
}

/**
 * All valid tags of a source repository (pull access), deduplicated, in the order first seen; invalid tags are
 * skipped with a warning.
 */
export async function listTags(client: RegistryClient, repository: string, signal?: AbortSignal, opts: Omit<TagListOptions, 'signal'> = {}): Promise<string[]> {
  return [...(await tagSet(client, repository, 'pull', { ...opts, ...(signal ? { signal } : {}) }))];
}

async function tagSet(client: RegistryClient, repository: string, scope: AccessScope, opts: TagListOptions): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const page of tagPages(client, repository, scope, opts)) {
    for (const t of page) out.add(t);
  }
  return out;
}

/**
 * The tags a push target already has, asked with the push scope its HEADs use (so no second token); none when
 * the registry answers 404: the repository does not exist (distribution says NAME_UNKNOWN, Harbor may use its own
 * code), or has no tags left. Any other failure throws: the caller then asks per tag, as without a listing.
 */
export async function targetTags(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<Set<string>> {
  try {
    return await tagSet(client, repository, 'push', signal ? { signal } : {});
  } catch (e) {
    if (statusOf(e) === 404) return new Set();
    throw e;
  }
}

/**
 * Tags page by page, for filtering huge repositories without holding every tag: only the page in hand and the
 * pagination guards stay in memory. `pageSize` asks for `n` per page (registries may cap it). `scope` 'push'
 * asks with a target's token (see AccessScope). Tags that break the grammar are left out (see
 * `TagListOptions.onInvalid`).
 */
export async function* tagPages(client: RegistryClient, repository: string, scope: AccessScope, opts: TagListOptions & { pageSize?: number } = {}): AsyncGenerator<string[]> {
  const q = opts.pageSize ? `?n=${opts.pageSize}` : '';
  const ctx = { registry: client.registry, repository };
  const onInvalid = opts.onInvalid ?? ((err: FerryError) => client.logger.warn({ registry: client.registry, repository, tag: err.context.reference }, err.message));
  const warned = new Set<string>();
  for await (const page of paginate(client, `${tagsListPath(repository)}${q}`, scopesFor(repository, scope), 'tags', ctx, opts.signal, opts.limits)) {
    yield page.filter((tag) => {
      if (isValidTag(tag)) return true;
      if (!warned.has(tag)) {
        warned.add(tag);
        const shown = escapeName(tag);
        onInvalid(
          new FerryError('REFERENCE_INVALID', `registry ${client.registry} lists an invalid tag "${shown}" in repository ${repository}; skipping it`, {
            ...ctx,
            reference: shown,
          }),
        );
      }
      return false;
    });
  }
}

export interface CatalogOptions {
  pageSize?: number;
  signal?: AbortSignal;
  /** caps (defaults: DEFAULT_LISTING_LIMITS) */
  limits?: Partial<ListingLimits>;
  /**
   * Called for each repository name that breaks the grammar (`..`, upper case, leading `/`, …) with an error
   * naming registry and repository; the name is skipped (default: logged as a warning by the client's logger).
   */
  onInvalid?: (err: FerryError) => void;
}

/** Repositories from `_catalog`, page by page (n as asked; distribution caps it at 1000); invalid names are skipped. */
export async function* catalogPages(client: RegistryClient, opts: CatalogOptions = {}): AsyncGenerator<string[]> {
  const onInvalid = opts.onInvalid ?? ((err: FerryError) => client.logger.warn({ registry: client.registry, repository: err.context.repository }, err.message));
  for await (const page of paginate(client, `/v2/_catalog?n=${opts.pageSize ?? 100}`, ['registry:catalog:*'], 'repositories', { registry: client.registry }, opts.signal, opts.limits)) {
    yield page.filter((name) => {
      try {
        assertRepository(name, ` in the catalog of registry ${client.registry}`);
        return true;
      } catch (e) {
        // the message quotes the name escaped (control characters shown as \uXXXX)
        const why = e instanceof FerryError ? e.message : `invalid repository name "${escapeName(name)}" in the catalog of registry ${client.registry}`;
        onInvalid(new FerryError('REFERENCE_INVALID', `${why}; skipping it`, { registry: client.registry, repository: escapeName(name) }));
        return false;
      }
    });
  }
}

export async function listCatalog(client: RegistryClient, opts: CatalogOptions & { maxItems?: number } = {}): Promise<string[]> {
  const out = new Set<string>();
  for await (const page of catalogPages(client, opts)) {
    for (const r of page) {
      out.add(r);
      if (opts.maxItems && out.size >= opts.maxItems) return [...out];
    }
  }
  return [...out];
}
