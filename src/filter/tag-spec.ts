import { isDigest } from '../ref/digest.js';
import { isValidTag } from '../ref/reference.js';
import { compileAnchored, RegexSyntaxError, type Matcher } from './regex.js';
import { parseSemverRange, type SemverRange } from './semver-range.js';
import { SemverError } from './semver.js';

/** One entry of a mapping's `tags:` list, classified the way dregsy's `TagSet.add` does. */
export type TagSpec =
  | { readonly kind: 'semver'; readonly text: string; readonly range: SemverRange }
  | { readonly kind: 'regex'; readonly text: string; readonly matcher: Matcher }
  | { readonly kind: 'keep-latest'; readonly text: string; readonly count: number }
  | { readonly kind: 'keep'; readonly text: string; readonly matcher: Matcher }
  | { readonly kind: 'tag'; readonly text: string; readonly tag: string }
  | { readonly kind: 'digest'; readonly text: string; readonly digest: string; readonly tag?: string };

/** A `tags:` entry that cannot be used; the message is meant to follow "'tags' uses invalid format: ". */
export class TagSpecError extends Error {
  override name = 'TagSpecError';
}

const KEEP_LATEST = /^keep:[\t\n\v\f\r ]+latest[\t\n\v\f\r ]+[0-9]+$/;
const PREFIXES = ['semver:', 'regex:', 'keep:'] as const;

/**
 * Classifies one entry, first match wins: `semver:`, `regex:`, `keep: latest N`, `keep:`, else a verbatim tag or
 * digest (`sha256:…`, `name@sha256:…`, a leading `:` stripped). Prefixes are case-sensitive, as in dregsy.
 * Throws TagSpecError. ferry also validates verbatim tags and digests here, where dregsy fails at copy time.
 */
export function parseTagSpec(entry: string): TagSpec {
  const text = entry.trim();
  if (text.startsWith('semver:')) {
    const range = text.slice('semver:'.length).trim();
    try {
      return { kind: 'semver', text, range: parseSemverRange(range) };
    } catch (e) {
      if (!(e instanceof SemverError)) throw e;
      throw new TagSpecError(
        `semver range "${range}": ${e.message} (write full versions such as >=1.2.0 <2.0.0; wildcards 1.x and 1.2.x; no ^, ~ or v prefix)`,
      );
    }
  }
  if (text.startsWith('regex:')) return { kind: 'regex', text, matcher: anchored(text.slice('regex:'.length).trim()) };
  if (KEEP_LATEST.test(text)) {
    const last = text.split(' ').pop() ?? '';
    if (!/^[+-]?[0-9]+$/.test(last)) {
      throw new TagSpecError(`invalid keep count in '${text}': separate the words with single spaces, as in 'keep: latest 5'`);
    }
    return { kind: 'keep-latest', text, count: Number.parseInt(last, 10) };
  }
  if (text.startsWith('keep:')) return { kind: 'keep', text, matcher: anchored(text.slice('keep:'.length).trim()) };
  return verbatim(text);
}

function anchored(pattern: string): Matcher {
  try {
    return compileAnchored(pattern);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw new TagSpecError(e.message);
    throw e;
  }
}

function verbatim(text: string): TagSpec {
  const t = text.startsWith(':') ? text.slice(1) : text;
  const at = t.indexOf('@');
  if (t.startsWith('sha256:') || at >= 0) {
    const digest = at >= 0 ? t.slice(at + 1) : t;
    const tag = at >= 0 ? t.slice(0, at) : '';
    if (!isDigest(digest) || !digest.startsWith('sha256:')) {
      throw new TagSpecError(`invalid digest "${digest}": expected sha256: followed by 64 lowercase hex characters`);
    }
    if (tag !== '' && !isValidTag(tag)) throw new TagSpecError(invalidTag(tag));
    return tag === '' ? { kind: 'digest', text, digest } : { kind: 'digest', text, digest, tag };
  }
  if (!isValidTag(t)) throw new TagSpecError(invalidTag(t));
  return { kind: 'tag', text, tag: t };
}

function invalidTag(tag: string): string {
  const lower = tag.toLowerCase();
  const prefix = PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) return `"${tag}" is not a valid tag; filter prefixes are lower case: did you mean "${prefix}${tag.slice(prefix.length)}"?`;
  const hint = /\s/.test(tag) ? '; filters start with semver:, regex: or keep:' : '';
  return `"${tag}" is not a valid tag: a tag is 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"${hint}`;
}

/** A footgun dregsy accepts silently: `keep:latest 5` (no space) is a prune regex that removes every tag. */
export function tagSpecWarning(spec: TagSpec): string | undefined {
  if (spec.kind === 'keep' && /^latest\s+[0-9]+$/.test(spec.matcher.pattern)) {
    return `'${spec.text}' is a prune regex, not a count, and removes every tag that is not literally "${spec.matcher.pattern}"; write 'keep: latest N' with a space after the colon`;
  }
  return undefined;
}
