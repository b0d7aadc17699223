/**
 * The sync plan, a PURE function: from a repository's tag selection, the source's HEAD answers and the target's
 * digests, decide per image what to do and why. No I/O here: the runner gathers the HEADs (free on Docker Hub)
 * and `ferry plan` prints this same plan.
 */
import { tagFilterFromSpecs, type SelectedRef, type TagFilter } from '../filter/tag-filter.js';
import { INDEX_TYPES } from '../oci/media-types.js';
import type { PlatformSelection } from '../oci/platform.js';
import type { Digest } from '../ref/digest.js';

/** What a source HEAD said: null when the image does not exist. */
export interface SourceHead {
  digest?: Digest;
  mediaType: string;
  size?: number;
}

/**
 * The source was not asked: the target lacks the reference, so the copy GETs the source manifest anyway, and a
 * HEAD first would only cost a request (a sync run's choice; `ferry plan` asks, for exact pulls and digests).
 */
export const NOT_ASKED = 'not-asked';

/** A HEAD that failed (rate limit, auth, network): the image fails with this reason. */
export interface HeadFailure {
  error: string;
  code?: string;
}

function isFailure(x: unknown): x is HeadFailure {
  return typeof x === 'object' && x !== null && 'error' in x;
}

export interface RepositoryPlanInput {
  filter: TagFilter;
  /** the source's tags; undefined when the filter needed no listing (verbatim tags and digests only) */
  listed: readonly string[] | undefined;
  /** per selected ref (see refKey): the source HEAD, null when missing, NOT_ASKED, or why the HEAD failed */
  sourceHeads: ReadonlyMap<string, SourceHead | null | HeadFailure | typeof NOT_ASKED>;
  /** per selected ref: the digest the target reference has now, null when absent, or why the HEAD failed */
  targetDigests: ReadonlyMap<string, Digest | null | HeadFailure>;
  platforms: PlatformSelection;
}

export type PlannedAction =
  | { kind: 'copy'; ref: SelectedRef; key: string; reason: string; pulls: number; estimated: boolean; sourceDigest?: Digest; targetDigest?: Digest; sourceSize?: number }
  | { kind: 'up-to-date'; ref: SelectedRef; key: string; reason: string; digest: Digest }
  | { kind: 'missing'; ref: SelectedRef; key: string; reason: string }
  | { kind: 'failed'; ref: SelectedRef; key: string; reason: string; code?: string }
  | { kind: 'filtered-out'; tag: string; reason: string };

export interface RepositoryPlan {
  /** selected images in sync order, then the filtered-out tags in listing order */
  actions: PlannedAction[];
  toCopy: number;
  upToDate: number;
  missing: number;
  failed: number;
  filteredOut: number;
  /** manifest GETs the copies need (Docker Hub pulls); estimated for a copy whose source was NOT_ASKED */
  pulls: number;
  /** some copy's pulls are a floor, not a count (an index's children, or a source not asked): "at least `pulls`" */
  pullsEstimated: boolean;
}

/** The key of a selected ref in the HEAD maps: `tag`, `sha256:…`, or `tag@sha256:…`. */
export function refKey(r: SelectedRef): string {
  if (r.kind === 'tag') return r.tag;
  return r.tag === undefined ? r.digest : `${r.tag}@${r.digest}`;
}

/** What to ask the source for (a digest pin is pulled by digest) and what to write on the target. */
export function sourceReference(r: SelectedRef): string {
  return r.kind === 'tag' ? r.tag : r.digest;
}
export function targetReference(r: SelectedRef): string {
  return r.kind === 'tag' ? r.tag : (r.tag ?? r.digest);
}

export function planRepository(input: RepositoryPlanInput): RepositoryPlan {
  const selection = input.filter.apply(input.listed ?? []);
  const actions: PlannedAction[] = [];
  let pulls = 0;
  for (const ref of selection.refs) {
    const key = refKey(ref);
    const head = input.sourceHeads.get(key);
    const target = input.targetDigests.get(key) ?? null;
    if (head === undefined) throw new Error(`planRepository: no source HEAD for ${key}`);
    const failure = isFailure(head) ? head : isFailure(target) ? target : undefined;
    if (failure) {
      actions.push({ kind: 'failed', ref, key, reason: failure.error, ...(failure.code ? { code: failure.code } : {}) });
      continue;
    }
    const have = target as Digest | null;
    if (head === NOT_ASKED) {
      // an index's children are unknown until the copy reads it
      const p = pullsFor(undefined, input.platforms);
      pulls += p.pulls;
      actions.push({ kind: 'copy', ref, key, reason: 'missing on the target', ...p });
      continue;
    }
    if (head === null || isFailure(head)) {
      actions.push({ kind: 'missing', ref, key, reason: `not found on the source${ref.kind === 'tag' && input.listed === undefined ? ' (a verbatim tag is not checked against the tag list)' : ''}` });
      continue;
    }
    if (input.platforms.kind === 'all' && head.digest !== undefined && head.digest === have) {
      actions.push({ kind: 'up-to-date', ref, key, reason: 'already up to date: the target has the same digest', digest: head.digest });
      continue;
    }
    const reason =
      input.platforms.kind === 'some' && have !== null
        ? 'platform selection: the copy compares the selected image with the target'
        : have === null
          ? 'missing on the target'
          : head.digest === undefined
            ? 'the source sent no digest'
            : `the target has another digest (${have.slice(0, 19)}…)`;
    const p = pullsFor(head.mediaType, input.platforms);
    pulls += p.pulls;
    actions.push({
      kind: 'copy',
      ref,
      key,
      reason,
      pulls: p.pulls,
      estimated: p.estimated,
      ...(head.digest ? { sourceDigest: head.digest } : {}),
      ...(have ? { targetDigest: have } : {}),
      ...(head.size !== undefined && head.size >= 0 ? { sourceSize: head.size } : {}),
    });
  }
  const filtered = input.listed ? filteredOut(input.filter, input.listed, new Set(selection.tags)) : [];
  actions.push(...filtered);
  const count = (k: PlannedAction['kind']): number => actions.filter((a) => a.kind === k).length;
  const pullsEstimated = actions.some((a) => a.kind === 'copy' && a.estimated);
  return { actions, toCopy: count('copy'), upToDate: count('up-to-date'), missing: count('missing'), failed: count('failed'), filteredOut: filtered.length, pulls, pullsEstimated };
}

/**
 * Manifest GETs (Docker Hub pulls) one copy needs, from the source's media type and the platform selection: one
 * for a single-platform image; for an index, one for the index plus one per child it needs (the selected
 * platforms, else every child). A HEAD says that an image is an index, not how many children it has: until the
 * copy reads it, an index of all platforms counts one child, the least its copy reads, and the count is a floor
 * (`estimated`). An undefined media type (the source was not asked) counts the least the copy can need: the
 * manifest, or an index and the selected platforms.
 */
function pullsFor(mediaType: string | undefined, platforms: PlatformSelection): { pulls: number; estimated: boolean } {
  if (mediaType === undefined) return { pulls: platforms.kind === 'some' ? 1 + platforms.platforms.length : 1, estimated: true };
  if (!INDEX_TYPES.has(mediaType)) return { pulls: 1, estimated: false };
  if (platforms.kind === 'some') return { pulls: 1 + platforms.platforms.length, estimated: false };
  return { pulls: 2, estimated: true };
}

/** What a source's pull budget says (the fields `ferry plan` sets the pulls needed against). */
export interface BudgetLeft {
  limit?: number;
  remaining?: number;
  reserve: number;
}

/**
 * The pulls a plan needs next to the source's budget, for `ferry plan`: "at least 7 manifest pulls needed; 5 of 5
 * left (reserve 2); 4 will wait for the budget to refill". Without a reported limit, the pulls alone.
 */
export function pullsAgainstBudget(pulls: number, atLeast: boolean, budget: BudgetLeft | undefined): string {
  const needed = `${atLeast ? 'at least ' : ''}${pulls} manifest pulls needed`;
  if (!budget || budget.limit === undefined) return needed;
  if (budget.remaining === undefined) return `${needed}; limit ${budget.limit} (reserve ${budget.reserve})`;
  const usable = Math.max(0, budget.remaining - budget.reserve);
  const wait = pulls > usable ? `; ${pulls - usable} will wait for the budget to refill` : '';
  return `${needed}; ${budget.remaining} of ${budget.limit} left (reserve ${budget.reserve})${wait}`;
}

/** Listed tags the filter did not select, each with the rule that left it out (`ferry plan` and `ferry list-tags`). */
export function filteredOut(filter: TagFilter, listed: readonly string[], selected: ReadonlySet<string>): Array<Extract<PlannedAction, { kind: 'filtered-out' }>> {
  const rest = [...new Set(listed)].filter((t) => !selected.has(t));
  if (rest.length === 0) return [];
  const specs = filter.specs;
  const keeps = specs.flatMap((s) => (s.kind === 'keep' ? [s] : []));
  const pinned = new Set(specs.flatMap((s) => (s.kind === 'digest' && s.tag !== undefined ? [s.tag] : [])));
  const beforeLimit = new Set(tagFilterFromSpecs(specs.filter((s) => s.kind !== 'keep-latest')).apply(listed).tags);
  const selectors = specs.filter((s) => s.kind === 'semver' || s.kind === 'regex');
  const matchedBySelection = new Set(tagFilterFromSpecs(selectors).apply(listed).tags);
  return rest.map((tag) => {
    let reason: string;
    if (pinned.has(tag)) reason = 'pinned by digest: copied as the pin';
    else if (beforeLimit.has(tag)) reason = `beyond keep: latest ${filter.keepLatest} (older than the ${filter.keepLatest} newest selected)`;
    else if (selectors.length > 0 && !matchedBySelection.has(tag)) reason = `matches none of ${selectors.map((s) => `'${s.text}'`).join(', ')}`;
    else {
      const failing = keeps.filter((k) => !k.matcher.test(tag)).map((k) => `'${k.text}'`);
      // only a list of plain tags and digests selects nothing from the listing
      reason = failing.length > 0 ? `pruned by ${failing.join(', ')}` : 'not named in the tags list (a list of only plain tags and digests copies just those)';
    }
    return { kind: 'filtered-out' as const, tag, reason };
  });
}
