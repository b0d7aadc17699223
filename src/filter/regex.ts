import { RE2JS } from 're2js';

/**
 * A compiled RE2 pattern (Go semantics, via re2js) that must match a whole string.
 *
 * ferry anchors as `^(?:pattern)$` (ferry difference #3): dregsy concatenates `^` and `$` without a group, so its
 * `a|b` means "starts with a or ends with b". For patterns without a top-level `|` both are identical.
 */
export interface Matcher {
  /** the pattern as written, without the `!` */
  readonly pattern: string;
  /** true when the pattern was written with a leading `!`: `test` is then true for strings that do NOT match */
  readonly inverted: boolean;
  test(s: string): boolean;
}

/** Thrown by `compileRegex`; `reason` is re2's own text such as "missing closing ): `(a`". */
export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regular expression '${pattern}': ${reason}`);
  }
}

/** Compiles with RE2 syntax; throws RegexSyntaxError. */
export function compileRe2(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new RegexSyntaxError(pattern, e instanceof Error ? e.message : String(e));
  }
}

/** dregsy's `util.NewRegex(v, lineMatch=true)`: a leading `!` inverts, the rest must match the whole string. */
export function compileAnchored(spec: string): Matcher {
  const inverted = spec.startsWith('!');
  const pattern = inverted ? spec.slice(1) : spec;
  compileRe2(pattern); // report errors against the pattern as written, not the wrapped one
  const re = compileRe2(`^(?:${pattern})$`);
  return {
    pattern,
    inverted,
    test: (s: string) => re.test(s) !== inverted,
    toString: () => (inverted ? `!${pattern}` : pattern),
    toJSON: () => (inverted ? `!${pattern}` : pattern),
  } as Matcher;
}
