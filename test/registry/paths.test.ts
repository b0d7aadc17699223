import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { blobPath, manifestPath, pathSegment, repositoryPath, tagsListPath, uploadsPath } from '../../src/registry/paths.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('registry URL paths', () => {
  test('valid names build the distribution paths', () => {
    assert.equal(manifestPath('team/app', 'v1.2_3-x'), '/v2/team/app/manifests/v1.2_3-x');
    assert.equal(manifestPath('library/redis', D), `/v2/library/redis/manifests/sha256:${'a'.repeat(64)}`);
    assert.equal(blobPath('a/b', D), `/v2/a/b/blobs/sha256:${'a'.repeat(64)}`);
    assert.equal(uploadsPath('a'), '/v2/a/blobs/uploads/');
    assert.equal(tagsListPath('a/b-c'), '/v2/a/b-c/tags/list');
  });

  for (const bad of ['y?digest=sha256:00', 'z#frag', 'x/../../../evil/manifests/pwn', '..', '.x', '-x', 'a b', 'a\nb', 'x'.repeat(129), '']) {
    test(`reference ${JSON.stringify(bad)} is refused before any request`, () => {
      assert.throws(
        () => manifestPath('team/app', bad),
        (e: unknown) => isFerryError(e, 'REFERENCE_INVALID') && !e.message.includes('\n') && /invalid tag or digest/.test(e.message),
      );
    });
  }

  for (const bad of ['Team/app', '../etc', 'a//b', 'a/', '/a', 'a/..', 'a?x', 'a#b', 'a%2f', `${'a'.repeat(256)}`]) {
    test(`repository ${JSON.stringify(bad)} is refused`, () => {
      assert.throws(() => repositoryPath(bad), (e: unknown) => isFerryError(e, 'REFERENCE_INVALID'));
      assert.throws(() => manifestPath(bad, 'v1'), (e: unknown) => isFerryError(e, 'REFERENCE_INVALID'));
    });
  }

  test('a digest that is not one is refused for a blob path', () => {
    assert.throws(() => blobPath('a', 'sha256:00/../x'), (e: unknown) => isFerryError(e, 'REFERENCE_INVALID'));
  });

  test('every segment is percent-encoded, dot segments included', () => {
    assert.equal(pathSegment('a?b#c/d'), 'a%3Fb%23c%2Fd');
    assert.equal(pathSegment('a:b'), 'a:b');
    assert.equal(pathSegment('..'), '%2E%2E');
    assert.equal(pathSegment('.'), '%2E');
  });
});
