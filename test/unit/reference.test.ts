import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { formatReference, parseReference, repoRef, withDigest } from '../../src/ref/reference.js';
import { digestOf, isDigest } from '../../src/ref/digest.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const cases: Array<[string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
    ['redis', { registry: 'docker.io', repository: 'library/redis', tag: 'latest' }],
    ['redis:7.2', { registry: 'docker.io', repository: 'library/redis', tag: '7.2' }],
    ['spaceone/console:1.11.0', { registry: 'docker.io', repository: 'spaceone/console', tag: '1.11.0' }],
    ['docker.io/redis', { registry: 'docker.io', repository: 'library/redis', tag: 'latest' }],
    ['index.docker.io/library/redis:1', { registry: 'docker.io', repository: 'library/redis', tag: '1' }],
    ['registry-1.docker.io/redis', { registry: 'docker.io', repository: 'library/redis', tag: 'latest' }],
    ['registry.hub.docker.com/spaceone/console', { registry: 'docker.io', repository: 'spaceone/console', tag: 'latest' }],
    ['REGISTRY.HUB.DOCKER.COM/redis', { registry: 'docker.io', repository: 'library/redis', tag: 'latest' }],
    ['127.0.0.1:5000/a/b/c:v1', { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 'v1' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['harbor.example.com/proj/app', { registry: 'harbor.example.com', repository: 'proj/app', tag: 'latest' }],
    [`harbor.example.com/proj/app@${D}`, { registry: 'harbor.example.com', repository: 'proj/app', digest: D }],
    [`harbor.example.com/proj/app:v1@${D}`, { registry: 'harbor.example.com', repository: 'proj/app', tag: 'v1', digest: D }],
    ['[::1]:5000/app:v1', { registry: '[::1]:5000', repository: 'app', tag: 'v1' }],
    ['host:5000/a__b/c-d.e:V_1.0-x', { registry: 'host:5000', repository: 'a__b/c-d.e', tag: 'V_1.0-x' }],
  ];
  for (const [input, want] of cases) {
    test(input, () => assert.deepEqual({ ...parseReference(input) }, want));
  }

  const bad: Array<[string, RegExp]> = [
    ['', /empty image reference/],
    ['host/UPPER/app', /must be lower case/],
    ['host//app', /empty or "\.\." path components/],
    ['host/a/../b', /invalid repository name/],
    ['host/app/', /must not end with "\/"/],
    ['host/app:-bad', /invalid tag "-bad"/],
    [`host/app:${'x'.repeat(129)}`, /invalid tag/],
    ['host/app@sha256:ABC', /invalid digest/],
    ['host/app@sha256:' + 'A'.repeat(64), /invalid digest/],
  ];
  for (const [input, re] of bad) {
    test(`rejects ${JSON.stringify(input).slice(0, 40)}`, () =>
      assert.throws(() => parseReference(input), (e: unknown) => isFerryError(e, 'REFERENCE_INVALID') && re.test(e.message)));
  }

  test('no default tag when asked', () => assert.equal(parseReference('host/app', { defaultTag: null }).tag, undefined));
  test('format round trip and helpers', () => {
    assert.equal(formatReference(parseReference('redis:7')), 'docker.io/library/redis:7');
    assert.equal(formatReference(withDigest(repoRef('docker.io', 'redis'), D)), `docker.io/library/redis@${D}`);
    assert.equal(repoRef('registry.hub.docker.com', 'spaceone/x').registry, 'docker.io');
  });
});

describe('digests', () => {
  test('grammar and known algorithms', () => {
    assert.ok(isDigest(D));
    assert.ok(isDigest(`sha512:${'b'.repeat(128)}`));
    assert.ok(isDigest('blake3:abc'), 'unknown algorithms that match the grammar are valid');
    assert.ok(!isDigest(`sha256:${'a'.repeat(63)}`));
    assert.ok(!isDigest(`sha256:${'A'.repeat(64)}`));
    assert.ok(!isDigest('sha256'));
  });
  test('digestOf', () => assert.equal(digestOf(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'));
});

describe('isLoopbackHost', async () => {
  const { isLoopbackHost } = await import('../../src/registry/transport/loopback.js');
  const { isLoopback } = await import('../../src/config/location.js');
  for (const [h, want] of [['127.0.0.1', true], ['127.0.0.1:5000', true], ['127.9.8.7:1', true], ['localhost:80', true], ['[::1]:5000', true], ['[::1]', true], ['::1', true], ['10.0.0.1', false], ['128.0.0.1:5000', false], ['example.com', false], ['[::2]:5000', false]] as const) {
    test(`${h} → ${want}`, () => assert.equal(isLoopbackHost(h), want));
  }
  test('config uses the same rule', () => assert.ok(isLoopback('LOCALHOST') && isLoopback('[::1]') && !isLoopback('example.com')));
});

test('invalid references from a config or the CLI are refused with the name escaped (issue 14)', async () => {
  const { parseReference } = await import('../../src/ref/reference.js');
  for (const bad of ['host.example/a:y?digest=sha256:00', 'host.example/a:z#frag', 'host.example/a:x/../../../evil/manifests/pwn', 'host.example/a:t\u001b[31m', 'host.example/a\nb:v1']) {
    assert.throws(
      () => parseReference(bad),
      (e: unknown) => e instanceof Error && 'code' in e && e.code === 'REFERENCE_INVALID' && !/[\u0000-\u001f]/.test(e.message),
      JSON.stringify(bad),
    );
  }
});
