import { compareVersions, parseStrict, SemverError, type Version } from './semver.js';

/** A compiled blang/semver v4 range: `(c && c && …) || (…)`. */
export type SemverRange = (v: Version) => boolean;

type Comparator = (v: Version, bound: Version) => boolean;

const COMPARATORS: Record<string, Comparator> = {
  '': (v, b) => compareVersions(v, b) === 0,
  '=': (v, b) => compareVersions(v, b) === 0,
  '==': (v, b) => compareVersions(v, b) === 0,
  '>': (v, b) => compareVersions(v, b) > 0,
  '>=': (v, b) => compareVersions(v, b) >= 0,
  '<': (v, b) => compareVersions(v, b) < 0,
  '<=': (v, b) => compareVersions(v, b) <= 0,
  '!': (v, b) => compareVersions(v, b) !== 0,
  '!=': (v, b) => compareVersions(v, b) !== 0,
};

/**
 * blang `ParseRange`, including its quirks (kept so that configs mean what they meant under dregsy):
 * tokens shorter than two characters are dropped by its splitter, `1.x.x` expands like `1.0.x`, and a bare
 * non-wildcard version containing an `x` (such as `1.0.0-xyz`) is rejected. Error texts are blang's.
 */
export function parseSemverRange(s: string): SemverRange {
  const orParts = splitOrParts(splitAndTrim(s));
  const expanded = expandWildcards(orParts);
  const ors: Array<Array<{ c: Comparator; v: Version }>> = [];
  for (const and of expanded) {
    if (and.length === 0) throw new SemverError(`Empty range between '||' in "${s}"`);
    ors.push(and.map(buildVersionRange));
  }
  return (v) => ors.some((and) => and.every(({ c, v: bound }) => c(v, bound)));
}

function splitAndTrim(s: string): string[] {
  const result: string[] = [];
  let last = 0;
  let lastChar = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === ' ' && lastChar !== '>' && lastChar !== '<' && lastChar !== '=') {
      if (last < i - 1) result.push(s.slice(last, i));
      last = i + 1;
    } else if (ch !== ' ') {
      lastChar = ch ?? '';
    }
  }
  if (last < s.length - 1) result.push(s.slice(last));
  return result.map((r) => r.replaceAll(' ', ''));
}

function splitOrParts(parts: string[]): string[][] {
  const out: string[][] = [];
  let last = 0;
  parts.forEach((p, i) => {
    if (p !== '||') return;
    if (i === 0) throw new SemverError("First element in range is '||'");
    out.push(parts.slice(last, i));
    last = i + 1;
  });
  if (last === parts.length) throw new SemverError("Last element in range is '||'");
  out.push(parts.slice(last));
  return out;
}

function splitComparatorVersion(s: string): [string, string] {
  const i = s.search(/[0-9]/);
  if (i === -1) throw new SemverError(`Could not get version from string: "${s}"`);
  return [s.slice(0, i).trim(), s.slice(i)];
}

function buildVersionRange(token: string): { c: Comparator; v: Version } {
  const [op, vs] = splitComparatorVersion(token);
  const c = Object.hasOwn(COMPARATORS, op) ? COMPARATORS[op] : undefined;
  if (!c) throw new SemverError(`Could not parse comparator "${op}" in "${op}${vs}"`);
  try {
    return { c, v: parseStrict(vs) };
  } catch (e) {
    throw new SemverError(`Could not parse version "${vs}" in "${op}${vs}": ${(e as Error).message}`);
  }
}

function expandWildcards(parts: string[][]): string[][] {
  return parts.map((and) => {
    const out: string[] = [];
    for (let ap of and) {
      if (ap.includes('x')) {
        const [op, vs] = splitComparatorVersion(ap);
        const segs = vs.split('.');
        const wildcard = segs[segs.length - 1] === 'x' ? segs.length : 0; // 2 = minor wildcard, 3 = patch wildcard
        const flat = flatFromWildcard(vs);
        let resultOp = '';
        let increment = false;
        switch (op) {
          case '>':
            resultOp = '>=';
            increment = true;
            break;
          case '>=':
            resultOp = '>=';
            break;
          case '<':
            resultOp = '<';
            break;
          case '<=':
            resultOp = '<';
            increment = true;
            break;
          case '':
          case '=':
          case '==':
            out.push(`>=${flat}`);
            resultOp = '<';
            increment = true;
            break;
          case '!=':
          case '!':
            out.push(`<${flat}`);
            resultOp = '>=';
            increment = true;
            break;
        }
        let resultVersion = flat;
        if (increment) resultVersion = wildcard === 3 ? bump(flat, 1) : wildcard === 2 ? bump(flat, 0) : '';
        ap = resultOp + resultVersion;
      }
      out.push(ap);
    }
    return out;
  });
}

function flatFromWildcard(vs: string): string {
  const v = vs.replace('.x.x', '.x').replace('.x', '.0');
  return v.split('.').length === 2 ? `${v}.0` : v;
}

function bump(v: string, index: number): string {
  const parts = v.split('.');
  const n = /^[+-]?[0-9]+$/.test(parts[index] ?? '') ? Number.parseInt(parts[index] ?? '', 10) : Number.NaN;
  if (Number.isNaN(n)) return '';
  parts[index] = String(n + 1);
  return parts.join('.');
}
