import type { RE2JS } from 're2js';
import { goReplaceAll } from './go-replace.js';
import { compileAnchored, compileRe2, type Matcher } from './regex.js';

/** A mapping's `from:` — a repository path, or `regex:<RE2>` matched (anchored) against the source's repositories. */
export type FromSpec =
  | { readonly kind: 'plain'; readonly repository: string }
  | { readonly kind: 'regex'; readonly matcher: Matcher };

/**
 * A mapping's `to:` — a path, or `regex:<re>,<replacement>`. A plain `to` with a regex `from` is a prefix.
 * An omitted `to` is `{ kind: 'plain', path: '' }` with a regex `from` (same path), and the `from` path otherwise.
 */
export type ToSpec =
  | { readonly kind: 'plain'; readonly path: string }
  | { readonly kind: 'regex'; readonly re: RE2JS; readonly pattern: string; readonly replacement: string };

/** A literal namespace at the start of a `from` regex (`spaceone/plugin-.*` → `spaceone`), if it has one. */
export function literalNamespace(pattern: string): string | undefined {
  const m = /^\^?([a-z0-9][a-z0-9._-]*)\//.exec(pattern);
  return m?.[1];
}

/** Thrown by the parse functions below; messages are dregsy's. */
export class MappingSpecError extends Error {
  override name = 'MappingSpecError';
}

/** Strips leading slashes and collapses `//` (dregsy keeps one leading `/`; ferry repositories have none). */
export function normalizePath(p: string): string {
  return p.replace(/\/{2,}/g, '/').replace(/^\//, '').replace(/\/$/, '');
}

export function parseFrom(from: string): FromSpec {
  if (from.startsWith('regex:')) {
    const re = from.slice('regex:'.length);
    try {
      return { kind: 'regex', matcher: compileAnchored(re) };
    } catch (e) {
      throw new MappingSpecError(`'from' uses invalid regular expression '${re}': ${reason(e)}`);
    }
  }
  return { kind: 'plain', repository: normalizePath(from) };
}

export function parseTo(to: string): ToSpec {
  if (to.startsWith('regex:')) {
    const body = to.slice('regex:'.length);
    const comma = body.indexOf(',');
    if (comma < 0) throw new MappingSpecError(`replacement expression missing in 'to'`);
    const pattern = body.slice(0, comma);
    try {
      const spec = { kind: 'regex' as const, pattern, replacement: body.slice(comma + 1) };
      // the compiled program is not data: keep it out of JSON.stringify
      return Object.defineProperty(spec, 're', { value: compileRe2(pattern), enumerable: false }) as ToSpec;
    } catch (e) {
      throw new MappingSpecError(`'to' uses invalid regular expression '${pattern}': ${reason(e)}`);
    }
  }
  return { kind: 'plain', path: normalizePath(to) };
}

function reason(e: unknown): string {
  return e instanceof Error && 'reason' in e ? String(e.reason) : String(e);
}

/** The source repositories a mapping covers: the plain `from`, or the listed names its regex matches. */
export function matchRepositories(from: FromSpec, listed: readonly string[]): string[] {
  if (from.kind === 'plain') return [from.repository];
  const out: string[] = [];
  for (const name of listed) if (from.matcher.test(name)) out.push(normalizePath(name));
  return out;
}

/**
 * The target repository for a source repository (dregsy's `mapPath`, spec §3.4): a regex `to` is applied with Go
 * `ReplaceAllString` (unanchored, all matches) to the path WITH its leading `/`; a plain `to` with a regex `from`
 * is a prefix; a plain `to` with a plain `from` replaces. The result is normalised (no leading `/`, no `//`).
 */
export function mapRepository(from: FromSpec, to: ToSpec, repository: string): string {
  const p = `/${normalizePath(repository)}`;
  if (to.kind === 'regex') return normalizePath(goReplaceAll(to.re, p, to.replacement));
  if (to.path === '') return normalizePath(p);
  if (from.kind === 'regex') return normalizePath(`${to.path}${p}`);
  return to.path;
}
