/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1, RFC 6750 §3).
 *
 * One header value may hold several challenges (`Basic realm="x", Bearer realm="y",service="z"`), and fetch's
 * `Headers.get()` joins repeated headers with `", "`, so the parser tells a new challenge from another parameter by
 * looking at what follows a token: `token =` is a parameter, anything else starts a new challenge.
 * Quoted strings may hold commas and `\` escapes (`scope="repository:a:pull,push"`).
 * Garbage never throws: the parser skips what it cannot read and returns the challenges it could.
 *
 * The header comes from the network, so parsing is linear in its length (every scanner moves forward; a failed
 * token68 look-ahead is remembered so it is never rescanned), and a header over `MAX_CHALLENGE_HEADER` characters
 * is refused outright.
 */

import { FerryError } from '../../errors.js';
import { hasUnsafeText } from '../../safe-text.js';

/** Longest `WWW-Authenticate` value read (all values together); a longer one fails the request. */
export const MAX_CHALLENGE_HEADER = 8 * 1024;

export interface Challenge {
  /** Lower-cased scheme: 'bearer' | 'basic' | other. */
  scheme: string;
  /**
   * Parameters with lower-cased keys; values as sent (unquoted, escapes removed). When the first parameter appears
   * twice, the first value wins. A token68 credential (`Negotiate abc==`) is kept under the key `token68`.
   */
  params: Record<string, string>;
}

/** RFC 7230 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** RFC 7235 token68 characters (before the trailing `=` padding). */
const TOKEN68 = /[A-Za-z0-9\-._~+/]/;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/**
 * Parses one or several `WWW-Authenticate` header values into challenges, in order. Throws RESPONSE_INVALID for a
 * header over `maxLength` characters (default `MAX_CHALLENGE_HEADER`).
 */
export function parseChallenges(header: string | string[] | undefined, opts: { maxLength?: number } = {}): Challenge[] {
  return parseChallengesCounted(header, opts).challenges;
}

/** `parseChallenges`, also returning how many characters its scanners stepped over (linearity tests). */
export function parseChallengesCounted(header: string | string[] | undefined, opts: { maxLength?: number } = {}): { challenges: Challenge[]; steps: number } {
  if (header === undefined) return { challenges: [], steps: 0 };
  const values = (Array.isArray(header) ? header : [header]).filter((h): h is string => typeof h === 'string');
  const max = opts.maxLength ?? MAX_CHALLENGE_HEADER;
  const length = values.reduce((n, v) => n + v.length, 0);
  if (length > max) {
    throw new FerryError(
      'RESPONSE_INVALID',
      `a WWW-Authenticate header of ${length} characters is longer than the ${max} ferry reads; refusing it (a broken or hostile server)`,
    );
  }
  const counter = { steps: 0 };
  const challenges = values.flatMap((v) => parseOne(v, counter));
  return { challenges, steps: counter.steps };
}

function parseOne(s: string, counter: { steps: number }): Challenge[] {
  const out: Challenge[] = [];
  /** a token68 look-ahead from a position before this one already failed: it would fail again */
  let noToken68Before = -1;
  let current: Challenge | undefined;
  let i = 0;
  const n = s.length;

  const skipSpace = (): void => {
    while (i < n && isSpace(s[i])) {
      i++;
      counter.steps++;
    }
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TCHAR.test(s[i] as string)) {
      i++;
      counter.steps++;
    }
    return s.slice(start, i);
  };

  while (i < n) {
    counter.steps++;
    // separators between challenges and parameters
    while (i < n && (isSpace(s[i]) || s[i] === ',')) {
      i++;
      counter.steps++;
    }
    if (i >= n) break;
    const name = readToken();
    if (name === '') {
      i++; // garbage character: skip it
      continue;
    }
    const afterName = i;
    skipSpace();
    if (s[i] === '=' && current) {
      // auth-param: name BWS "=" BWS ( token / quoted-string )
      i++;
      skipSpace();
      const value = s[i] === '"' ? readQuoted() : readBare();
      const key = name.toLowerCase();
      if (!(key in current.params)) current.params[key] = value;
      continue;
    }
    if (s[i] === '=') {
      // a parameter before any scheme: skip its value
      i++;
      skipSpace();
      if (s[i] === '"') readQuoted();
      else readBare();
      continue;
    }
    // a new challenge
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    i = afterName;
    skipSpace();
    const t68 = tryToken68();
    if (t68 !== undefined) current.params['token68'] = t68;
  }
  return out;

  function readQuoted(): string {
    i++; // opening quote
    let v = '';
    while (i < n) {
      counter.steps++;
      const c = s[i] as string;
      if (c === '\\' && i + 1 < n) {
        v += s[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return v;
      } else {
        v += c;
        i++;
      }
    }
    return v; // unterminated: keep what there is
  }

  /** A bare value, read leniently up to whitespace or a comma (so unquoted realm URLs survive). */
  function readBare(): string {
    const start = i;
    while (i < n && !isSpace(s[i]) && s[i] !== ',') {
      i++;
      counter.steps++;
    }
    return s.slice(start, i);
  }

  /** Reads a token68 if one stands alone right here (followed by end or a comma); otherwise leaves `i` alone. */
  function tryToken68(): string | undefined {
    // Any start inside a run that already failed ends at the same place and fails the same way.
    if (i < noToken68Before) return undefined;
    let j = i;
    while (j < n && TOKEN68.test(s[j] as string)) {
      j++;
      counter.steps++;
    }
    if (j === i) return undefined;
    const runEnd = j;
    while (j < n && s[j] === '=') {
      j++;
      counter.steps++;
    }
    let k = j;
    while (k < n && isSpace(s[k])) {
      k++;
      counter.steps++;
    }
    if (k < n && s[k] !== ',') {
      noToken68Before = runEnd;
      return undefined;
    }
    const v = s.slice(i, j);
    i = k;
    return v;
  }
}

/**
 * The space-separated scopes of a challenge's `scope` parameter (empty when there is none). Scopes holding control,
 * zero-width or bidi characters are dropped: they are remote text that would reach token requests and messages.
 */
export function challengeScopes(c: Challenge): string[] {
  const scope = c.params['scope'];
  if (!scope) return [];
  return scope.split(/\s+/).filter((x) => x !== '' && !hasUnsafeText(x));
}
