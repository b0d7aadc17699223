import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScope, formatScope, mergeScopes, repositoryScope, type Scope } from '../../src/registry/auth/scope.js';

const parseCases: Array<[string, Scope | undefined]> = [
  ['repository:samalba/my-app:pull,push', { type: 'repository', name: 'samalba/my-app', actions: ['pull', 'push'] }],
  ['repository:localhost:5000/a/b:pull', { type: 'repository', name: 'localhost:5000/a/b', actions: ['pull'] }],
  ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
  ['repository(plugin):a/b:pull', { type: 'repository', name: 'a/b', actions: ['pull'] }],
  ['repository:a:', { type: 'repository', name: 'a', actions: [] }],
  ['repository:a:pull,,push ', { type: 'repository', name: 'a', actions: ['pull', 'push'] }],
  ['repository:a', undefined],
  ['repository', undefined],
  [':a:pull', undefined],
  ['repository::pull', undefined],
  ['', undefined],
  ['repository:a:pull repository:b:pull', undefined],
];
for (const [input, want] of parseCases) {
  test(`parseScope(${JSON.stringify(input)})`, () => assert.deepEqual(parseScope(input), want));
}

test('formatScope round-trips', () => {
  for (const s of ['repository:a/b:pull,push', 'repository:h:5000/x:pull', 'registry:catalog:*']) {
    const p = parseScope(s);
    assert.ok(p);
    assert.equal(formatScope(p), s);
  }
});

const mergeCases: Array<[string[], string[]]> = [
  [[], []],
  [['repository:a:push', 'repository:a:pull'], ['repository:a:pull,push']],
  [['repository:b:pull', 'repository:a:pull'], ['repository:a:pull', 'repository:b:pull']],
  [['repository:a:pull,delete', 'repository:a:*'], ['repository:a:*']],
  [['repository:a:zeta,alpha,delete,push,pull'], ['repository:a:pull,push,delete,alpha,zeta']],
  [['repository:tgt:pull,push repository:src:pull', 'repository:tgt:pull'], ['repository:src:pull', 'repository:tgt:pull,push']],
  [['repository:h:5000/a:pull', 'repository:h:5000/a:push'], ['repository:h:5000/a:pull,push']],
  [['registry:catalog:*', 'repository:a:pull'], ['registry:catalog:*', 'repository:a:pull']],
  [['garbage', 'repository:a:', 'repository:b:pull'], ['repository:b:pull']],
];
for (const [input, want] of mergeCases) {
  test(`mergeScopes(${JSON.stringify(input)})`, () => assert.deepEqual(mergeScopes(input), want));
}

test('mergeScopes accepts any iterable and is order-independent', () => {
  const a = mergeScopes(new Set(['repository:x:push', 'repository:y:pull', 'repository:x:pull']));
  const b = mergeScopes(['repository:x:pull', 'repository:x:push', 'repository:y:pull'].reverse());
  assert.deepEqual(a, b);
});

const repoCases: Array<[string, string[], string]> = [
  ['library/alpine', ['pull'], 'repository:library/alpine:pull'],
  ['a/b', ['push', 'pull', 'push'], 'repository:a/b:pull,push'],
  ['a', ['delete', '*'], 'repository:a:*'],
];
for (const [repo, actions, want] of repoCases) {
  test(`repositoryScope(${repo}, ${actions.join(',')})`, () => assert.equal(repositoryScope(repo, actions), want));
}
