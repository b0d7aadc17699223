import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { goReplaceAll } from '../../src/filter/go-replace.js';
import { mapRepository, matchRepositories, normalizePath, parseFrom, parseTo } from '../../src/filter/mapping.js';
import { compileRe2 } from '../../src/filter/regex.js';
import { compileRunFilter } from '../../src/filter/run-filter.js';

describe('Go Regexp.ReplaceAllString', () => {
  // [regexp, src, template, Go's result]
  const table: Array<[string, string, string, string]> = [
    ['a(x*)b', '-ab-axxb-', '${1}W', '-W-xxW-'],
    ['a(x*)b', '-ab-axxb-', '$1W', '---'], // Go: $1W is the group named "1W"
    ['a(x*)b', '-ab-axxb-', '$1', '--xx-'],
    ['a(?P<x>x*)b', '-ab-axxb-', '$x', '--xx-'],
    ['a(?P<x>x*)b', '-ab-axxb-', '${x}!', '-!-xx!-'],
    ['a(x*)b', '-ab-axxb-', '$$1', '-$1-$1-'],
    ['a(x*)b', '-ab-axxb-', '$', '-$-$-'], // malformed: literal
    ['a(x*)b', '-ab-axxb-', '${1', '-${1-${1-'], // missing brace: literal $
    ['a(x*)b', '-ab-axxb-', '$2', '---'], // no such group: empty
    ['a(x*)b', '-ab-axxb-', '$01', '---'], // leading zero: a name, not a number
    ['x*', 'abc', '-', '-a-b-c-'], // empty matches
    ['a*', 'baaac', '-', '-b-c-'], // empty match right after a match is skipped
    ['b', 'abcbd', 'X', 'aXcXd'],
    ['(a)|(b)', 'ab', '[$1|$2]', '[a|][|b]'],
    ['^/', '/x/y', '', 'x/y'], // ^ only at the start, not at each search position
  ];
  for (const [re, src, tpl, want] of table) {
    it(`${re} on ${src} with ${tpl}`, () => assert.equal(goReplaceAll(compileRe2(re), src, tpl), want));
  }
});

describe('mappings (spec §3.3, §3.4)', () => {
  const repos = ['myproject/webui', 'myproject/api', 'jenkins/jnlp-slave', 'jenkins/jenkins', 'xelalex/dregsy-dummy-public', 'other/webui'];
  it('regex from matches whole names, anchored', () => {
    assert.deepEqual(matchRepositories(parseFrom('regex:myproject/.*'), repos), ['myproject/webui', 'myproject/api']);
    assert.deepEqual(matchRepositories(parseFrom('regex:webui'), repos), []);
    assert.deepEqual(matchRepositories(parseFrom('regex:!jenkins/.*|myproject/.*'), repos), ['xelalex/dregsy-dummy-public', 'other/webui']);
    assert.deepEqual(matchRepositories(parseFrom('regex:/?xelalex/dregsy-dummy-.*'), ['/xelalex/dregsy-dummy-public']), ['xelalex/dregsy-dummy-public']);
  });
  it('plain from yields itself, leading slash removed', () => {
    assert.deepEqual(matchRepositories(parseFrom('/library/busybox'), repos), ['library/busybox']);
  });
  // [from, to (undefined = omitted), source repository, target repository]
  const table: Array<[string, string | undefined, string, string]> = [
    ['library/busybox', undefined, 'library/busybox', 'library/busybox'],
    ['library/busybox', 'archive/busybox', 'library/busybox', 'archive/busybox'],
    ['library/busybox', '/archive/busybox', 'library/busybox', 'archive/busybox'],
    ['regex:myproject/.*', 'ecr', 'myproject/webui', 'ecr/myproject/webui'], // prefix rule
    ['regex:myproject/.*', '/ecr/', 'myproject/webui', 'ecr/myproject/webui'], // dregsy would produce //
    ['regex:myproject/.*', undefined, 'myproject/webui', 'myproject/webui'],
    ['regex:myproject/.*', 'regex:my(.+)/,from-dh/your$1/', 'myproject/webui', 'from-dh/yourproject/webui'],
    ['regex:jenkins/jnlp-s.*', 'regex:jenkins/,mapping-skopeo/dh/other-jenkins/', 'jenkins/jnlp-slave', 'mapping-skopeo/dh/other-jenkins/jnlp-slave'],
    ['regex:mapping-skopeo/dh/xelalex/dregsy-dummy.*', 'regex:mapping-skopeo/dh/,mapping-skopeo/dh-copy/', 'mapping-skopeo/dh/xelalex/dregsy-dummy-public', 'mapping-skopeo/dh-copy/xelalex/dregsy-dummy-public'],
    ['library/busybox', 'regex:^/library/,/mirror/', 'library/busybox', 'mirror/busybox'], // regex to with plain from
    ['library/busybox', 'regex:^/,', 'library/busybox', 'library/busybox'], // slash removed: ferry re-normalises
    ['a/b', 'regex:(?P<first>[a-z])/(?P<second>[a-z]),${second}/${first}', 'a/b', 'b/a'],
    ['a/b', 'regex:/,-', 'a/b', '-a-b'],
    ['a/b', 'regex:(a),${1}x/$1x', 'a/b', 'ax/b'], // /ax//b, normalised
  ];
  for (const [from, to, repo, want] of table) {
    it(`${from} → ${to ?? '(no to)'}: ${repo} → ${want}`, () => {
      const f = parseFrom(from);
      const t = to === undefined ? { kind: 'plain' as const, path: '' } : parseTo(to);
      assert.equal(mapRepository(f, t, repo), want);
    });
  }
  it('dregsy error messages', () => {
    assert.throws(() => parseTo('regex:abc'), { message: "replacement expression missing in 'to'" });
    assert.throws(() => parseTo('regex:(a,b'), { message: "'to' uses invalid regular expression '(a': error parsing regexp: missing closing ): `(a`" });
    assert.throws(() => parseFrom('regex:a**'), { message: "'from' uses invalid regular expression 'a**': error parsing regexp: invalid nested repetition operator: `**`" });
  });
  it('to: splits at the first comma only', () => {
    const t = parseTo('regex:a,b,c');
    assert.ok(t.kind === 'regex' && t.pattern === 'a' && t.replacement === 'b,c');
  });
  it('normalizePath', () => {
    assert.equal(normalizePath('//a//b/'), 'a/b');
    assert.equal(normalizePath('a'), 'a');
    assert.equal(normalizePath(''), '');
  });
});

describe('-run task filter (spec §6.3)', () => {
  const table: Array<[string | undefined, string, boolean]> = [
    [undefined, 'anything', true],
    ['', 'anything', true],
    ['task-a', 'task-a', true],
    ['task-a', 'task-abc', false], // anchored
    ['task-.*', 'task-abc', true],
    ['!test-.*', 'test-1', false],
    ['!test-.*', 'prod-1', true],
    ['a|b', 'abc', false], // whole name (ferry difference #3)
    ['a|b', 'b', true],
  ];
  for (const [expr, name, want] of table) it(`${expr} on ${name}`, () => assert.equal(compileRunFilter(expr)(name), want));
  it('an invalid expression is a usage error', () => {
    assert.throws(() => compileRunFilter('(x'), (e: unknown) => isFerryError(e, 'USAGE') && /missing closing \)/.test(e.message));
  });
});
