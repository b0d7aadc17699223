/** Helpers on the per-request path, rewritten to allocate less: they must still agree with the URL parser. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repositoryScope } from '../../src/registry/auth/scope.js';
import { kindOf } from '../../src/registry/client.js';
import { splitUrl } from '../../src/registry/transport/http.js';

test('splitUrl gives what new URL gives (origin, pathname + search) for registry URLs, and defers to it for odd ones', () => {
  for (const u of [
    'http://127.0.0.1:5000/v2/a/b/manifests/v1',
    'https://registry-1.docker.io/v2/library/busybox/blobs/sha256:abc?x=1&y=%2F',
    'http://[::1]:5000/v2/',
    'https://h',
    'https://user:secret@h/v2/x',
    'http://h?q=1',
    'http://h/v2/x#frag',
  ]) {
    const want = new URL(u);
    assert.deepEqual(splitUrl(u), { origin: want.origin, path: `${want.pathname}${want.search}` }, u);
  }
});

test('kindOf classifies exchanges by path, ignoring host and query', () => {
  const cases: Array<[string, string]> = [
    ['http://h:5000/v2/', 'ping'],
    ['http://h:5000/v2', 'ping'],
    ['http://h/v2/a/manifests/v1', 'manifest'],
    ['http://h/v2/a/blobs/uploads/?mount=sha256:x&from=b', 'upload'],
    ['http://h/v2/a/blobs/sha256:x?sig=/manifests/', 'blob'],
    ['http://h/v2/a/tags/list?n=100', 'tags'],
    ['http://h/v2/_catalog?last=x', 'catalog'],
    ['https://auth.docker.io/token?scope=repository:a:pull', 'token'],
    ['https://auth.example', 'token'],
  ];
  for (const [u, k] of cases) assert.equal(kindOf(u), k, u);
});

test('repositoryScope: the common pull and pull,push forms, and the general path normalising the rest', () => {
  assert.equal(repositoryScope('a/b', ['pull']), 'repository:a/b:pull');
  assert.equal(repositoryScope('a/b', ['pull', 'push']), 'repository:a/b:pull,push');
  assert.equal(repositoryScope('a/b', ['push', 'pull', 'pull']), 'repository:a/b:pull,push');
  assert.equal(repositoryScope('a/b', ['pull', '*']), 'repository:a/b:*');
});
