import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTagFilter } from '../../src/filter/tag-filter.js';
import { ALL_PLATFORMS } from '../../src/oci/platform.js';
import { NOT_ASKED, planRepository, pullsAgainstBudget, type HeadFailure, type SourceHead } from '../../src/sync/plan.js';

const D = (c: string) => `sha256:${c.repeat(64)}` as const;
const IMG = 'application/vnd.oci.image.manifest.v1+json';
const IDX = 'application/vnd.oci.image.index.v1+json';

function heads(entries: Record<string, SourceHead | null | HeadFailure | typeof NOT_ASKED>): Map<string, SourceHead | null | HeadFailure | typeof NOT_ASKED> {
  return new Map(Object.entries(entries));
}

describe('planRepository (pure)', () => {
  test('copy when missing or different, up to date when digests match, reasons for every filtered tag', () => {
    const filter = compileTagFilter(['semver: >=1.0.0 <2.0.0', 'keep: latest 2']);
    const listed = ['0.9.0', '1.0.0', '1.5.0', '1.9.0', '2.0.0', 'latest'];
    const plan = planRepository({
      filter,
      listed,
      sourceHeads: heads({ '1.5.0': { digest: D('a'), mediaType: IMG }, '1.9.0': { digest: D('b'), mediaType: IDX } }),
      targetDigests: new Map([
        ['1.5.0', D('a')],
        ['1.9.0', null],
      ]),
      platforms: ALL_PLATFORMS,
    });
    assert.deepEqual(
      plan.actions.map((a) => [a.kind, a.kind === 'filtered-out' ? a.tag : a.key]),
      [
        ['up-to-date', '1.5.0'],
        ['copy', '1.9.0'],
        ['filtered-out', '0.9.0'],
        ['filtered-out', '1.0.0'],
        ['filtered-out', '2.0.0'],
        ['filtered-out', 'latest'],
      ],
    );
    const reasons = Object.fromEntries(plan.actions.map((a) => [a.kind === 'filtered-out' ? a.tag : a.key, a.reason]));
    assert.match(reasons['1.0.0']!, /beyond keep: latest 2/);
    assert.match(reasons['0.9.0']!, /matches none of 'semver: >=1.0.0 <2.0.0'/);
    assert.equal(reasons['1.9.0'], 'missing on the target');
    assert.equal(plan.pulls, 2, 'an index: at least itself and one child');
    assert.equal(plan.pullsEstimated, true);
    assert.deepEqual([plan.toCopy, plan.upToDate, plan.filteredOut], [1, 1, 4]);
  });

  test('verbatim tags need no listing; a missing source is reported, a failed HEAD fails with its reason', () => {
    const filter = compileTagFilter(['latest', 'stable']);
    assert.equal(filter.needsTagList, false);
    const plan = planRepository({
      filter,
      listed: undefined,
      sourceHeads: heads({ latest: { error: 'toomanyrequests: rate limit', code: 'RATE_LIMITED' }, stable: null }),
      targetDigests: new Map(),
      platforms: ALL_PLATFORMS,
    });
    assert.deepEqual(plan.actions.map((a) => a.kind), ['failed', 'missing']);
    assert.match(plan.actions[0]!.reason, /rate limit/);
    assert.equal(plan.failed, 1);
    assert.equal(plan.pullsEstimated, false, 'nothing to copy, nothing guessed');
  });

  test('prune reasons name the failing keep: entries; digest differs names the target digest', () => {
    const filter = compileTagFilter(['regex: 1\\..*', 'keep: .*-alpine']);
    const plan = planRepository({
      filter,
      listed: ['1.0-alpine', '1.0'],
      sourceHeads: heads({ '1.0-alpine': { digest: D('c'), mediaType: IMG } }),
      targetDigests: new Map([['1.0-alpine', D('d')]]),
      platforms: ALL_PLATFORMS,
    });
    assert.match(plan.actions[0]!.reason, /another digest \(sha256:dddd/);
    assert.match(plan.actions[1]!.reason, /pruned by 'keep: \.\*-alpine'/);
  });

  test('a platform selection is never judged up to date from digests alone (the copy checks)', () => {
    const plan = planRepository({
      filter: compileTagFilter(['v1']),
      listed: undefined,
      sourceHeads: heads({ v1: { digest: D('e'), mediaType: IDX } }),
      targetDigests: new Map([['v1', D('e')]]),
      platforms: { kind: 'some', platforms: [{ os: 'linux', architecture: 'amd64' }] },
    });
    assert.equal(plan.actions[0]!.kind, 'copy');
    assert.equal(plan.pulls, 2);
  });

  test('a source not asked (the target lacks the tag) is a copy whose pulls are a lower bound', () => {
    const plan = planRepository({
      filter: compileTagFilter(['v1', 'v2']),
      listed: undefined,
      sourceHeads: heads({ v1: NOT_ASKED, v2: { digest: D('f'), mediaType: IMG } }),
      targetDigests: new Map([
        ['v1', null],
        ['v2', D('f')],
      ]),
      platforms: ALL_PLATFORMS,
    });
    const v1 = plan.actions[0]!;
    assert.deepEqual(v1.kind === 'copy' && [v1.reason, v1.pulls, v1.estimated, v1.sourceDigest], ['missing on the target', 1, true, undefined]);
    assert.deepEqual([plan.toCopy, plan.upToDate, plan.pulls, plan.pullsEstimated], [1, 1, 1, true]);
    const some = planRepository({
      filter: compileTagFilter(['v1']),
      listed: undefined,
      sourceHeads: heads({ v1: NOT_ASKED }),
      targetDigests: new Map([['v1', null]]),
      platforms: { kind: 'some', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] },
    });
    assert.equal(some.pulls, 3, 'with platforms selected: the index and one child per platform');
  });
});

describe('pullsAgainstBudget (the pulls `ferry plan` sets against the source budget)', () => {
  test('says how many pulls will wait for the budget, counting the reserve as spent', () => {
    assert.equal(pullsAgainstBudget(3, false, undefined), '3 manifest pulls needed');
    assert.equal(pullsAgainstBudget(3, true, { reserve: 0 }), 'at least 3 manifest pulls needed', 'no limit reported');
    assert.equal(pullsAgainstBudget(3, false, { limit: 100, remaining: 10, reserve: 7 }), '3 manifest pulls needed; 10 of 100 left (reserve 7)');
    assert.equal(pullsAgainstBudget(4, false, { limit: 100, remaining: 10, reserve: 7 }), '4 manifest pulls needed; 10 of 100 left (reserve 7); 1 will wait for the budget to refill');
    assert.equal(pullsAgainstBudget(2, false, { limit: 100, remaining: 1, reserve: 5 }), '2 manifest pulls needed; 1 of 100 left (reserve 5); 2 will wait for the budget to refill');
    assert.equal(pullsAgainstBudget(2, false, { limit: 100, reserve: 5 }), '2 manifest pulls needed; limit 100 (reserve 5)', 'remaining not reported yet');
  });
});
