/**
 * blang/semver v4 semantics, which dregsy uses for `semver:` tag filters. Deliberately not npm `semver`:
 * - tags are parsed with `ParseTolerant` (`v` prefix, leading zeros, `1.31` → 1.31.0, `20240101` → 20240101.0.0);
 * - prereleases get no special treatment in ranges: `1.31.1-musl` satisfies `>=1.31.0 <1.31.9` (npm says no);
 * - ranges use space for AND, `||` for OR, `!`/`!=`, and `x` wildcards, but no `^`, `~` or hyphen ranges;
 * - versions inside a range are parsed strictly (full MAJOR.MINOR.PATCH, no `v`).
 */

export interface Version {
  readonly major: string; // decimal digits without leading zeros, compared numerically (uint64 in Go)
  readonly minor: string;
  readonly patch: string;
  readonly pre: readonly PreId[];
}
type PreId = { num: string } | { str: string };

export class SemverError extends Error {
  override name = 'SemverError';
}

const MAX_UINT64 = '18446744073709551615';
const DIGITS = /^[0-9]*$/;
const ALNUM = /^[0-9A-Za-z-]*$/;

function parseUint(s: string, what: string): string {
  if (s === '' || !DIGITS.test(s)) throw new SemverError(`Invalid character(s) found in ${what} number "${s}"`);
  if (s.length > 1 && s[0] === '0') throw new SemverError(`${capitalise(what)} number must not contain leading zeroes "${s}"`);
  if (s.length > MAX_UINT64.length || (s.length === MAX_UINT64.length && s > MAX_UINT64)) {
    throw new SemverError(`${capitalise(what)} number "${s}" is out of range`);
  }
  return s;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** blang `Parse`: strict MAJOR.MINOR.PATCH[-pre][+build]. */
export function parseStrict(s: string): Version {
  if (s.length === 0) throw new SemverError('Version string empty');
  const parts = splitN(s, '.', 3);
  if (parts.length !== 3) throw new SemverError('No Major.Minor.Patch elements found');
  const major = parseUint(parts[0] ?? '', 'major');
  const minor = parseUint(parts[1] ?? '', 'minor');
  let patchStr = parts[2] ?? '';
  let build: string[] = [];
  let prerelease: string[] = [];
  const b = patchStr.indexOf('+');
  if (b !== -1) {
    build = patchStr.slice(b + 1).split('.');
    patchStr = patchStr.slice(0, b);
  }
  const p = patchStr.indexOf('-');
  if (p !== -1) {
    prerelease = patchStr.slice(p + 1).split('.');
    patchStr = patchStr.slice(0, p);
  }
  const patch = parseUint(patchStr, 'patch');
  const pre = prerelease.map(parsePreId);
  for (const id of build) {
    if (id === '') throw new SemverError('Build meta data is empty');
    if (!ALNUM.test(id)) throw new SemverError(`Invalid character(s) found in build meta data "${id}"`);
  }
  return { major, minor, patch, pre };
}

function parsePreId(s: string): PreId {
  if (s === '') throw new SemverError('Prerelease is empty');
  if (DIGITS.test(s)) {
    if (s.length > 1 && s[0] === '0') throw new SemverError(`Numeric PreRelease version must not contain leading zeroes "${s}"`);
    return { num: parseUint(s, 'prerelease') };
  }
  if (ALNUM.test(s)) return { str: s };
  throw new SemverError(`Invalid character(s) found in prerelease "${s}"`);
}

/** blang `ParseTolerant`, the parser dregsy applies to tags. */
export function parseTolerant(input: string): Version {
  let s = input.trim();
  if (s.startsWith('v')) s = s.slice(1);
  const parts = splitN(s, '.', 3).map((p) => {
    if (p.length <= 1) return p;
    const t = p.replace(/^0+/, '');
    return t.length === 0 || !/^[0-9]/.test(t) ? `0${t}` : t;
  });
  if (parts.length < 3) {
    if (/[+-]/.test(parts[parts.length - 1] ?? '')) {
      throw new SemverError('Short version cannot contain PreRelease/Build meta data');
    }
    while (parts.length < 3) parts.push('0');
  }
  return parseStrict(parts.join('.'));
}

/** `ParseTolerant` or undefined. */
export function tryParseTolerant(s: string): Version | undefined {
  try {
    return parseTolerant(s);
  } catch {
    return undefined;
  }
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i === -1) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

function cmpNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpPre(a: PreId, b: PreId): number {
  if ('num' in a && 'num' in b) return cmpNum(a.num, b.num);
  if ('num' in a) return -1;
  if ('num' in b) return 1;
  return a.str < b.str ? -1 : a.str > b.str ? 1 : 0;
}

/** blang `Version.Compare`: build metadata ignored, a prerelease sorts below its release. */
export function compareVersions(v: Version, o: Version): number {
  const c = cmpNum(v.major, o.major) || cmpNum(v.minor, o.minor) || cmpNum(v.patch, o.patch);
  if (c !== 0) return c;
  if (v.pre.length === 0 && o.pre.length === 0) return 0;
  if (v.pre.length === 0) return 1;
  if (o.pre.length === 0) return -1;
  const n = Math.min(v.pre.length, o.pre.length);
  for (let i = 0; i < n; i++) {
    const d = cmpPre(v.pre[i] as PreId, o.pre[i] as PreId);
    if (d !== 0) return d;
  }
  return v.pre.length === o.pre.length ? 0 : v.pre.length < o.pre.length ? -1 : 1;
}
