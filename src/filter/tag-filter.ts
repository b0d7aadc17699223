import { FerryError } from '../errors.js';
import type { Matcher } from './regex.js';
import { compareVersions, tryParseTolerant, type Version } from './semver.js';
import type { SemverRange } from './semver-range.js';
import { parseTagSpec, TagSpecError, type TagSpec } from './tag-spec.js';

/** One thing to copy: a tag, or a digest pinned either untagged or under a tag name. */
export type SelectedRef =
  | { readonly kind: 'tag'; readonly tag: string }
  | { readonly kind: 'digest'; readonly digest: string; readonly tag?: string };

export interface TagSelection {
  /** everything to copy, in dregsy's sync order (ascending byte order of the entries as written) */
  readonly refs: readonly SelectedRef[];
  /** the plain tags among `refs` */
  readonly tags: readonly string[];
  /** the digest pins among `refs` */
  readonly digests: readonly { readonly digest: string; readonly tag?: string }[];
}

export interface TagFilter {
  readonly specs: readonly TagSpec[];
  /** false when the list holds only verbatim tags/digests: then no tag listing is needed and `apply([])` is exact */
  readonly needsTagList: boolean;
  /** `keep: latest N` (the last one wins); 0 means no limit */
  readonly keepLatest: number;
  /** Selects from the source's tag list (ignored when `needsTagList` is false). */
  apply(listed: readonly string[]): TagSelection;
  /** the entries as written */
  toJSON(): string[];
}

/**
 * Compiles a mapping's `tags:` list (dregsy's tag language, spec §2). `where` prefixes error messages, e.g.
 * "config.yaml:12: tasks[0].mappings[1].tags". Throws FerryError CONFIG_INVALID naming the bad entry.
 */
export function compileTagFilter(entries: readonly string[], where?: string): TagFilter {
  const specs = entries.map((entry, index) => {
    try {
      return parseTagSpec(entry);
    } catch (e) {
      if (!(e instanceof TagSpecError)) throw e;
      const prefix = where ? `${where}[${index}]: ` : '';
      throw new FerryError('CONFIG_INVALID', `${prefix}'tags' uses invalid format: ${e.message}`, { index, key: where });
    }
  });
  return tagFilterFromSpecs(specs);
}

/**
 * Builds the filter. Semantics (dregsy's `TagSet.Expand`, with ferry difference #4):
 * - a listed tag is selected if it matches ANY `semver:` or `regex:` entry; with neither, every listed tag is;
 * - selected tags survive only if they match ALL `keep:` regexes;
 * - verbatim tags and digests are then added (never pruned, never checked against the list); a tag selected
 *   twice appears once, and a plain tag also pinned as `tag@sha256:…` is copied only as the pin;
 * - `keep: latest N` keeps the N highest semver tags (non-semver tags all stay), or, when no tag is semver,
 *   the N last in byte order; the output is sorted in ascending byte order.
 */
export function tagFilterFromSpecs(specs: readonly TagSpec[]): TagFilter {
  const ranges: SemverRange[] = [];
  const regexes: Matcher[] = [];
  const keeps: Matcher[] = [];
  const verbatim: SelectedRef[] = [];
  let keepLatest = 0;
  for (const s of specs) {
    if (s.kind === 'semver') ranges.push(s.range);
    else if (s.kind === 'regex') regexes.push(s.matcher);
    else if (s.kind === 'keep') keeps.push(s.matcher);
    else if (s.kind === 'keep-latest') keepLatest = s.count;
    else if (s.kind === 'tag') verbatim.push({ kind: 'tag', tag: s.tag });
    else verbatim.push(s.tag === undefined ? { kind: 'digest', digest: s.digest } : { kind: 'digest', digest: s.digest, tag: s.tag });
  }
  const selects = ranges.length > 0 || regexes.length > 0;
  const needsTagList = selects || verbatim.length === 0;

  function apply(listed: readonly string[]): TagSelection {
    const versions = new Map<string, Version | null>();
    const versionOf = (t: string): Version | null => {
      let v = versions.get(t);
      if (v === undefined) {
        v = tryParseTolerant(t) ?? null;
        versions.set(t, v);
      }
      return v;
    };
    const byKey = new Map<string, SelectedRef>();
    const pinnedNames = new Set<string>();
    for (const r of verbatim) if (r.kind === 'digest' && r.tag !== undefined) pinnedNames.add(r.tag);
    if (needsTagList) {
      for (const t of listed) {
        if (byKey.has(t) || pinnedNames.has(t)) continue;
        if (selects && !matchesSelection(t)) continue;
        if (!keeps.every((k) => k.test(t))) continue;
        byKey.set(t, { kind: 'tag', tag: t });
      }
    }
    for (const r of verbatim) byKey.set(keyOf(r), r);
    let keys = [...byKey.keys()];
    keys = keepLatest > 0 ? reduce(keys, keepLatest, versionOf) : keys.sort(byteOrder);
    const refs = keys.map((k) => byKey.get(k) as SelectedRef);
    return {
      refs,
      tags: refs.flatMap((r) => (r.kind === 'tag' ? [r.tag] : [])),
      digests: refs.flatMap((r) => (r.kind === 'digest' ? [r.tag === undefined ? { digest: r.digest } : { digest: r.digest, tag: r.tag }] : [])),
    };

    function matchesSelection(t: string): boolean {
      if (ranges.length > 0) {
        const v = versionOf(t);
        if (v && ranges.some((r) => r(v))) return true;
      }
      return regexes.some((re) => re.test(t));
    }
  }

  return {
    specs,
    needsTagList,
    keepLatest,
    apply,
    toJSON: () => specs.map((s) => s.text),
  };
}

function keyOf(r: SelectedRef): string {
  if (r.kind === 'tag') return r.tag;
  return r.tag === undefined ? r.digest : `${r.tag}@${r.digest}`;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** dregsy's `reduce` for `keep: latest N`; equal versions (1.36 and 1.36.0) are ordered by text, descending. */
function reduce(tags: string[], n: number, versionOf: (t: string) => Version | null): string[] {
  const semver: Array<{ t: string; v: Version }> = [];
  const other: string[] = [];
  for (const t of tags) {
    const v = versionOf(t);
    if (v) semver.push({ t, v });
    else other.push(t);
  }
  if (semver.length === 0) return tags.sort(byteOrder).slice(Math.max(0, tags.length - n));
  let kept = semver;
  if (semver.length > n) {
    kept = [...semver].sort((a, b) => compareVersions(b.v, a.v) || byteOrder(b.t, a.t)).slice(0, n);
  }
  return [...other, ...kept.map((s) => s.t)].sort(byteOrder);
}
