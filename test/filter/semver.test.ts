import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, parseStrict, parseTolerant, tryParseTolerant } from '../../src/filter/semver.js';
import { parseSemverRange } from '../../src/filter/semver-range.js';

const fmt = (s: string) => {
  const v = parseTolerant(s);
  const pre = v.pre.map((p) => ('num' in p ? p.num : p.str)).join('.');
  return `${v.major}.${v.minor}.${v.patch}${pre ? `-${pre}` : ''}`;
};

describe('blang ParseTolerant (how dregsy reads tags)', () => {
  const cases: Array<[string, string | null]> = [
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['  1.2.3 ', '1.2.3'],
    ['1.31', '1.31.0'],
    ['3', '3.0.0'],
    ['20240101', '20240101.0.0'],
    ['01.02.03', '1.2.3'],
    ['1.2.03-rc.1', '1.2.3-rc.1'],
    ['1.2.3-alpine3.18', '1.2.3-alpine3.18'],
    ['v1.2.3+build.5', '1.2.3'],
    ['1.2.3-musl', '1.2.3-musl'],
    ['1.2-alpine', null], // short versions may not carry a suffix
    ['1-rc', null],
    ['1.2.3_linux', null],
    ['latest', null],
    ['vv1.2.3', null],
    ['1.2.3-01', null], // numeric prerelease with a leading zero
    ['1.2.3-', null],
    ['1.2.3+', null],
    ['1.2.3.4', null],
    ['', null],
    ['99999999999999999999.0.0', null], // above uint64
  ];
  for (const [tag, want] of cases) {
    it(`${JSON.stringify(tag)} → ${want ?? 'not semver'}`, () => {
      if (want === null) assert.equal(tryParseTolerant(tag), undefined);
      else assert.equal(fmt(tag), want);
    });
  }
  it('Parse (inside ranges) is strict', () => {
    assert.throws(() => parseStrict('1.2'), /No Major.Minor.Patch/);
    assert.throws(() => parseStrict('v1.2.3'), /Invalid character/);
    assert.throws(() => parseStrict('01.2.3'), /leading zeroes/);
    assert.doesNotThrow(() => parseStrict('2.0.3-beta.2'));
  });
});

describe('blang Compare', () => {
  const lt: Array<[string, string]> = [
    ['1.31.9-musl', '1.31.9'],
    ['1.0.0-alpha', '1.0.0-alpha.1'],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta'],
    ['1.0.0-beta.2', '1.0.0-beta.11'],
    ['1.0.0-glibc', '1.0.0-musl'],
    ['1.0.0-musl', '1.0.0-uclibc'],
    ['1.9.0', '1.10.0'],
    ['18446744073709551614.0.0', '18446744073709551615.0.0'],
  ];
  for (const [a, b] of lt) {
    it(`${a} < ${b}`, () => {
      assert.equal(compareVersions(parseTolerant(a), parseTolerant(b)), -1);
      assert.equal(compareVersions(parseTolerant(b), parseTolerant(a)), 1);
    });
  }
  it('build metadata is ignored, 1.36 equals 1.36.0', () => {
    assert.equal(compareVersions(parseTolerant('1.2.3+a'), parseTolerant('1.2.3+b')), 0);
    assert.equal(compareVersions(parseTolerant('1.36'), parseTolerant('1.36.0')), 0);
  });
});

describe('blang ParseRange, against its README and range_test.go', () => {
  // [range, matching versions, non-matching versions]
  const table: Array<[string, string[], string[]]> = [
    ['<1.0.0', ['0.1.0', '0.9.9', '1.0.0-rc.1'], ['1.0.0', '1.0.1']],
    ['<=1.0.0', ['1.0.0', '0.1.0'], ['1.0.1']],
    ['>1.0.0', ['1.0.1', '2.0.0', '1.0.1-alpha'], ['1.0.0', '1.0.0-rc.1']],
    ['>=1.0.0', ['1.0.0', '1.0.1'], ['0.9.9', '1.0.0-rc.1']],
    ['1.0.0', ['1.0.0', '1.0.0+build'], ['1.0.1', '1.0.0-rc.1']],
    ['=1.0.0', ['1.0.0'], ['1.0.1']],
    ['==1.0.0', ['1.0.0'], ['1.0.1']],
    ['!1.0.0', ['1.0.1', '0.9.0'], ['1.0.0']],
    ['!=1.0.0', ['1.0.1'], ['1.0.0']],
    ['>1.0.0 <2.0.0', ['1.1.0', '1.9.9', '2.0.0-beta'], ['1.0.0', '2.0.0']],
    ['<2.0.0 || >=3.0.0', ['1.9.9', '3.0.0', '3.1.0'], ['2.0.0', '2.9.9']],
    ['>1.0.0 <2.0.0 || >3.0.0 !4.2.1', ['1.2.3', '1.9.9', '3.1.1'], ['0.0.0', '2.0.0', '4.2.1']],
    ['>= 1.0.0', ['1.0.0'], ['0.1.0']], // space after an operator is allowed
    ['1.2.x', ['1.2.0', '1.2.9'], ['1.3.0', '1.1.9']],
    ['1.x', ['1.0.0', '1.9.0'], ['2.0.0', '0.9.0']],
    ['>1.x', ['2.0.0'], ['1.9.9']],
    ['<=1.2.x', ['1.2.9'], ['1.3.0']],
    ['!1.2.x', [], ['1.1.9', '1.2.5', '1.3.0']], // blang quirk: expands to <1.2.0 AND >=1.3.0, which nothing meets
    ['1.x.x', ['1.0.5'], ['1.1.0']], // blang quirk: 1.x.x expands like 1.0.x
    ['>=1.31.0 <1.31.9', ['1.31.0', '1.31.1-musl', '1.31.9-musl'], ['1.31.0-musl', '1.31.9', '1.30.0']],
    ['>=2.0.3-beta.2', ['2.0.3-beta.10', '2.0.3'], ['2.0.3-beta.1']],
  ];
  for (const [range, yes, no] of table) {
    it(range, () => {
      const r = parseSemverRange(range);
      for (const v of yes) assert.equal(r(parseTolerant(v)), true, `${v} should match`);
      for (const v of no) assert.equal(r(parseTolerant(v)), false, `${v} should not match`);
    });
  }
  const bad: Array<[string, RegExp]> = [
    ['', /Last element in range is '\|\|'/],
    ['|| 1.0.0', /First element/],
    ['1.0.0 ||', /Last element/],
    ['^1.0.0', /Could not parse comparator "\^"/],
    ['~1.0.0', /Could not parse comparator "~"/],
    ['v1.0.0', /Could not parse comparator "v"/],
    ['>=1.0', /Could not parse version "1.0" in ">=1.0": No Major.Minor.Patch elements found/],
    ['>=01.0.0', /leading zeroes/],
    ['1.0.0-xyz', /Could not get version from string/], // blang quirk: a bare version containing x
    ['>=latest', /Could not get version from string: ">=latest"/],
  ];
  for (const [range, re] of bad) it(`rejects ${JSON.stringify(range)}`, () => assert.throws(() => parseSemverRange(range), re));
});
