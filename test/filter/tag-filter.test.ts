import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { compileTagFilter, type TagSelection } from '../../src/filter/tag-filter.js';
import { parseTagSpec, tagSpecWarning } from '../../src/filter/tag-spec.js';

/** A slice of library/busybox's real tag list. */
const BUSYBOX = [
  'latest', 'musl', 'glibc', 'uclibc', 'stable', 'unstable',
  '1.26', '1.26.0', '1.26.1', '1.26.1-glibc', '1.26.1-musl', '1.26.1-uclibc', '1.26.2', '1.26.2-glibc', '1.26.2-musl', '1.26.2-uclibc',
  '1.29.4', '1.31', '1.31.0', '1.31.1', '1.31.1-glibc', '1.31.1-musl', '1.31.1-uclibc',
  '1.32', '1.32.0', '1.33', '1.33.0', '1.33.1', '1.34', '1.34.1', '1.35', '1.35.0', '1.35.0-uclibc',
  '1.36', '1.36.0', '1.36.0-glibc', '1.36.0-musl', '1.36.0-uclibc', '1.36.1', '1.37.0',
];
const D1 = `sha256:1d8a02c7${'0'.repeat(56)}`;
const D2 = `sha256:ff4a${'1'.repeat(60)}`;

const names = (s: TagSelection) => s.refs.map((r) => (r.kind === 'tag' ? r.tag : r.tag ? `${r.tag}@${r.digest}` : r.digest));
const run = (specs: string[], listed: string[] = BUSYBOX) => names(compileTagFilter(specs).apply(listed));

describe('spec §2.5 worked examples (dregsy e2e tests)', () => {
  it('TagSetsRange', () => {
    assert.deepEqual(run(['semver: >=1.31.0 <1.31.9', 'latest']), ['1.31', '1.31.0', '1.31.1', '1.31.1-glibc', '1.31.1-musl', '1.31.1-uclibc', 'latest']);
  });
  it('TagSetsPrune', () => {
    assert.deepEqual(run(['semver: >=1.31.0 <1.31.9', 'keep: .+(glibc|musl)']), ['1.31.1-glibc', '1.31.1-musl']);
  });
  it('TagSetsRegex, then an inverted regex on that copy', () => {
    const copied = run(['regex: 1\\.26\\.1-(glibc|uclibc|musl)']);
    assert.deepEqual(copied, ['1.26.1-glibc', '1.26.1-musl', '1.26.1-uclibc']);
    assert.deepEqual(run(['regex: !.+(glibc|musl)'], copied), ['1.26.1-uclibc']);
  });
  it('TagSetsLimit', () => {
    assert.deepEqual(run(['glibc', 'semver: >=1.33.0 <=1.36.0', 'keep: latest 5']), [
      '1.36', '1.36.0', '1.36.0-glibc', '1.36.0-musl', '1.36.0-uclibc', 'glibc',
    ]);
  });
  it('TagSetsDigest: an untagged digest and a tag pinned to a digest; keep: does not touch them; no listing needed', () => {
    const f = compileTagFilter([D1, `1.35.0-uclibc@${D2}`, 'keep: all.+']);
    assert.equal(f.needsTagList, false);
    const s = f.apply([]);
    assert.deepEqual(s.digests, [{ tag: '1.35.0-uclibc', digest: D2 }, { digest: D1 }]);
    assert.deepEqual(s.tags, []);
  });
  it('README: semver + regex + verbatim', () => {
    assert.deepEqual(run(['semver: >=1.31.0 <1.31.9', 'regex: 1\\.26\\.[0-9]-(glibc|uclibc|musl)', '1.29.4', 'latest']), [
      '1.26.1-glibc', '1.26.1-musl', '1.26.1-uclibc', '1.26.2-glibc', '1.26.2-musl', '1.26.2-uclibc',
      '1.29.4', '1.31', '1.31.0', '1.31.1', '1.31.1-glibc', '1.31.1-musl', '1.31.1-uclibc', 'latest',
    ]);
  });
  it('README: latest + semver + keep', () => {
    const listed = ['latest', '1.0.0-alpine', '2.0.0', '2.1.0-alpine', '2.1.0-buster', '2.1.0-slim', '3.0.0-buster'];
    assert.deepEqual(run(['latest', 'semver: >=2.0.0', 'keep: .+-(alpine|buster)'], listed), ['2.1.0-alpine', '2.1.0-buster', '3.0.0-buster', 'latest']);
  });
});

describe('edge cases', () => {
  // [tags:, listed, expected]
  const L = ['1.0.0', '1.1.0', '1.2.0-rc.1', '2.0.0', 'v2.1.0', 'latest', 'edge', 'a', 'b', 'ab', 'xa'];
  const table: Array<[string, string[], string[], string[]]> = [
    ['no entries: every tag', [], ['b', 'a'], ['a', 'b']],
    ['keep only: all tags, pruned', ['keep: [0-9].*'], L, ['1.0.0', '1.1.0', '1.2.0-rc.1', '2.0.0']],
    ['two keeps are ANDed', ['keep: 1.*', 'keep: .*0'], L, ['1.0.0', '1.1.0']],
    ['keep position does not matter', ['keep: 1.*', 'semver: >=1.0.0'], L, ['1.0.0', '1.1.0', '1.2.0-rc.1']],
    ['verbatim only: no listing, listed tags ignored', ['edge'], L, ['edge']],
    ['verbatim tag not in the source is still selected', ['nope'], L, ['nope']],
    ['difference #4: verbatim and filter pick the same tag once', ['latest', 'regex: lat.*'], L, ['latest']],
    ['listed duplicates appear once', ['regex: a'], ['a', 'a'], ['a']],
    ['regex is whole-tag (difference #3): a|b', ['regex: a|b'], L, ['a', 'b']],
    ['regex already anchored', ['regex: ^a$'], L, ['a']],
    ['regex union with semver', ['regex: edge', 'semver: 2.x'], L, ['2.0.0', 'edge', 'v2.1.0']],
    ['inverted regex is still ORed', ['regex: !.*[0-9].*', 'semver: 1.0.0'], L, ['1.0.0', 'a', 'ab', 'b', 'edge', 'latest', 'xa']],
    ['inverted keep', ['keep: !latest'], ['latest', 'x'], ['x']],
    ['v-prefixed tags are semver', ['semver: >=2.1.0'], L, ['v2.1.0']],
    ['prereleases are eligible (unlike npm)', ['semver: >=1.1.0 <2.0.0'], L, ['1.1.0', '1.2.0-rc.1']],
    ['short tags are semver', ['semver: >=1.31.0 <1.32.0'], ['1.31', '1.32', '1'], ['1.31']],
    ['date tags are semver majors', ['semver: >=20240101.0.0'], ['20231231', '20240101', '20240102'], ['20240101', '20240102']],
    ['prune applies to semver hits too', ['semver: >=1.0.0', 'keep: !.*-rc.*'], L, ['1.0.0', '1.1.0', '2.0.0', 'v2.1.0']],
    ['keep does not prune verbatim tags', ['latest', 'regex: 1.*', 'keep: 2.*'], L, ['latest']],
    ['nothing matches: empty result', ['regex: zzz'], L, []],
    ['keep: latest 2 over semver', ['semver: >=1.0.0', 'keep: latest 2'], L, ['2.0.0', 'v2.1.0']],
    ['keep: latest keeps non-semver tags', ['regex: .*', 'keep: latest 1'], ['1.0.0', '2.0.0', 'edge'], ['2.0.0', 'edge']],
    ['keep: latest without semver keeps the last N by byte order', ['regex: .*', 'keep: latest 2'], ['a', 'c', 'b'], ['b', 'c']],
    ['keep: latest 0 means no limit', ['regex: .*', 'keep: latest 0'], ['a', 'b'], ['a', 'b']],
    ['the last keep: latest wins', ['semver: >=0.0.0', 'keep: latest 1', 'keep: latest 3'], ['1.0.0', '2.0.0', '3.0.0', '4.0.0'], ['2.0.0', '3.0.0', '4.0.0']],
    ['keep: latest counts verbatim semver tags', ['1.29.4', 'semver: >=1.30.0', 'keep: latest 1'], ['1.30.0', '1.31.0'], ['1.31.0']],
    ['keep: latest with more room than tags', ['semver: >=1.0.0', 'keep: latest 10'], ['1.0.0', '2.0.0'], ['1.0.0', '2.0.0']],
    ['keep: latest only: every tag, reduced', ['keep: latest 1'], ['1.0.0', '3.0.0', 'x'], ['3.0.0', 'x']],
    ['leading colon on a verbatim tag is stripped', [':1.10'], [], ['1.10']],
    ['entries are trimmed', ['  latest  ', ' regex:  a '], L, ['a', 'latest']],
    ['byte order: upper case before lower case, 1.10 before 1.9', ['regex: .*'], ['b', 'B', '1.9', '1.10'], ['1.10', '1.9', 'B', 'b']],
    ['a pinned tag replaces the same tag from the list', [`edge@${D1}`, 'regex: e.*'], L, [`edge@${D1}`]],
    ['RE2 POSIX classes', ['regex: [[:alpha:]]+'], L, ['a', 'ab', 'b', 'edge', 'latest', 'xa']],
    ['RE2 case-insensitive flag', ['regex: (?i)LATEST'], L, ['latest']],
    ['semver OR', ['semver: <1.1.0 || >=2.0.0'], L, ['1.0.0', '2.0.0', 'v2.1.0']],
  ];
  for (const [name, specs, listed, want] of table) it(name, () => assert.deepEqual(run(specs, listed), want));

  it('needsTagList follows dregsy: any semver/regex, or no verbatim entries', () => {
    assert.equal(compileTagFilter([]).needsTagList, true);
    assert.equal(compileTagFilter(['keep: x']).needsTagList, true);
    assert.equal(compileTagFilter(['a', 'keep: x']).needsTagList, false);
    assert.equal(compileTagFilter(['a', 'regex: x']).needsTagList, true);
  });
  it('tags in the selection are listed tags and digests separately', () => {
    const s = compileTagFilter(['latest', D1]).apply([]);
    assert.deepEqual(s.refs, [{ kind: 'tag', tag: 'latest' }, { kind: 'digest', digest: D1 }]);
  });
  it('toJSON gives the entries as written', () => {
    assert.equal(JSON.stringify(compileTagFilter([' latest', 'regex: a'])), '[" latest","regex: a"]'.replace('" latest"', '"latest"'));
  });
});

describe('classification and errors', () => {
  it('classifies in dregsy order', () => {
    assert.equal(parseTagSpec('semver: 1.0.0').kind, 'semver');
    assert.equal(parseTagSpec('regex: semver:').kind, 'regex');
    assert.equal(parseTagSpec('keep: latest 3').kind, 'keep-latest');
    assert.equal(parseTagSpec('keep:  latest  3').kind, 'keep-latest');
    assert.equal(parseTagSpec('keep: latest').kind, 'keep');
    assert.equal(parseTagSpec('sha256:' + 'a'.repeat(64)).kind, 'digest');
    assert.equal(parseTagSpec('1.10').kind, 'tag');
  });
  it('keep:latest 5 (no space) is a prune regex, and ferry warns', () => {
    const s = parseTagSpec('keep:latest 5');
    assert.equal(s.kind, 'keep');
    assert.match(tagSpecWarning(s) ?? '', /is a prune regex, not a count/);
  });
  const bad: Array<[string, string]> = [
    ['semver: >=1.0', `'tags' uses invalid format: semver range ">=1.0": Could not parse version "1.0" in ">=1.0": No Major.Minor.Patch elements found (write full versions such as >=1.2.0 <2.0.0; wildcards 1.x and 1.2.x; no ^, ~ or v prefix)`],
    ['regex: (a', `'tags' uses invalid format: invalid regular expression '(a': error parsing regexp: missing closing ): \`(a\``],
    ['keep: latest\t5', `'tags' uses invalid format: invalid keep count in 'keep: latest\t5': separate the words with single spaces, as in 'keep: latest 5'`],
    ['Semver: >=1.0.0', `'tags' uses invalid format: "Semver: >=1.0.0" is not a valid tag; filter prefixes are lower case: did you mean "semver: >=1.0.0"?`],
    ['sha256:abc', `'tags' uses invalid format: invalid digest "sha256:abc": expected sha256: followed by 64 lowercase hex characters`],
    ['', `'tags' uses invalid format: "" is not a valid tag: a tag is 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"`],
  ];
  for (const [entry, msg] of bad) {
    it(`rejects ${JSON.stringify(entry)}`, () => {
      assert.throws(
        () => compileTagFilter(['latest', entry], 'c.yaml:9: tasks[0].mappings[0].tags'),
        (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && e.message === `c.yaml:9: tasks[0].mappings[0].tags[1]: ${msg}`,
      );
    });
  }
});

describe('scale', () => {
  it('handles 100,000 tags', () => {
    const listed: string[] = [];
    for (let i = 0; i < 100_000; i++) listed.push(i % 3 === 0 ? `${i % 97}.${i % 13}.${i}` : `build-${i}`);
    const f = compileTagFilter(['semver: >=50.0.0 <60.0.0', 'regex: build-9.*', 'keep: !.*7', 'keep: latest 100', 'latest']);
    const s = f.apply(listed);
    assert.ok(s.tags.includes('latest'));
    assert.ok(s.tags.length > 100);
    assert.ok(s.tags.every((t) => !t.endsWith('7')));
  });
});
