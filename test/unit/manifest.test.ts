import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { MT } from '../../src/oci/media-types.js';
import { digestOf } from '../../src/ref/digest.js';
import { verifyManifestDigest } from '../../src/registry/manifests.js';
import { selectPlatforms } from '../../src/sync/select-platforms.js';

const where = { registry: 'r.example', repository: 'app', reference: 'v1' };
const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (c: string, extra: object = {}) => ({ mediaType: MT.ociManifest, digest: d(c), size: 10, ...extra });

function bytes(o: unknown): Buffer {
  return Buffer.from(JSON.stringify(o, null, 3) + '\n');
}

describe('parseManifest', () => {
  const image = { schemaVersion: 2, mediaType: MT.ociManifest, config: desc('1', { mediaType: 'application/vnd.example.unknown+json' }), layers: [desc('2')], artifactType: 'application/x.custom' };
  test('keeps the exact bytes and accepts unknown config media types', () => {
    const b = bytes(image);
    const m = parseManifest(b, MT.ociManifest, digestOf(b), where);
    assert.equal(m.kind, 'image');
    assert.equal(m.bytes, b);
  });
  test('Content-Type parameters are ignored', () => {
    const b = bytes(image);
    assert.equal(parseManifest(b, `${MT.ociManifest}; charset=utf-8`, digestOf(b), where).kind, 'image');
  });
  test('mediaType disagreeing with Content-Type is refused', () => {
    const b = bytes(image);
    assert.throws(() => parseManifest(b, MT.dockerManifest, digestOf(b), where), (e: unknown) => isFerryError(e, 'MEDIA_TYPE_MISMATCH') && /r\.example app v1/.test(e.message));
  });
  test('schema1 is refused with a clear message', () => {
    const b = bytes({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] });
    assert.throws(() => parseManifest(b, MT.dockerSchema1Signed, digestOf(b), where), (e: unknown) => isFerryError(e, 'UNSUPPORTED_MEDIA_TYPE') && /schema1 manifests are not supported/.test(e.message));
  });
  test('invalid JSON and malformed descriptors', () => {
    assert.throws(() => parseManifest(Buffer.from('{nope'), MT.ociManifest, d('0'), where), (e: unknown) => isFerryError(e, 'MANIFEST_INVALID'));
    const b = bytes({ ...image, layers: [{ mediaType: 'x', digest: 'nope', size: 1 }] });
    assert.throws(() => parseManifest(b, MT.ociManifest, digestOf(b), where), (e: unknown) => isFerryError(e, 'MANIFEST_INVALID') && /layers\.0\.digest": not a valid digest/.test(e.message));
    // the validator's own words, in English (zod/mini has none until a locale is installed)
    const size = bytes({ ...image, config: { ...image.config, size: 1.5 } });
    assert.throws(
      () => parseManifest(size, MT.ociManifest, digestOf(size), where),
      (e: unknown) => isFerryError(e, 'MANIFEST_INVALID') && /malformed at "config\.size": Invalid input: expected int, received number/.test(e.message),
    );
    const negative = bytes({ ...image, layers: [{ ...image.layers[0], size: -1 }] });
    assert.throws(() => parseManifest(negative, MT.ociManifest, digestOf(negative), where), (e: unknown) => isFerryError(e, 'MANIFEST_INVALID') && /layers\.0\.size": Too small/.test(e.message));
  });
  test('an index without mediaType is recognised from Content-Type', () => {
    const b = bytes({ schemaVersion: 2, manifests: [desc('3')] });
    assert.equal(parseManifest(b, MT.ociIndex, digestOf(b), where).kind, 'index');
  });
});

describe('verifyManifestDigest', () => {
  const b = Buffer.from('{"a":1}');
  test('requested digest must match', () => {
    assert.equal(verifyManifestDigest(b, digestOf(b), undefined, where), digestOf(b));
    assert.throws(() => verifyManifestDigest(b, d('f'), undefined, where), (e: unknown) => isFerryError(e, 'DIGEST_MISMATCH') && /requested digest/.test(e.message));
  });
  test('announced digest must match; absent header means computed', () => {
    assert.equal(verifyManifestDigest(b, undefined, digestOf(b), where), digestOf(b));
    assert.equal(verifyManifestDigest(b, undefined, undefined, where), digestOf(b));
    assert.throws(() => verifyManifestDigest(b, undefined, d('e'), where), (e: unknown) => isFerryError(e, 'DIGEST_MISMATCH') && /announced digest/.test(e.message));
  });
});

describe('selectPlatforms', () => {
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    annotations: { keep: 'me' },
    manifests: [
      desc('a', { platform: { os: 'linux', architecture: 'amd64' } }),
      desc('b', { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }),
      desc('c', { platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }),
    ],
  };
  const b = bytes(index);
  const m = parseManifest(b, MT.ociIndex, digestOf(b), where);
  test('all: as is', () => assert.deepEqual(selectPlatforms(m, { kind: 'all' }, 'src').kind, 'as-is'));
  test('one platform: that child (arm64 matches arm64/v8)', () => {
    const s = selectPlatforms(m, { kind: 'some', platforms: [{ os: 'linux', architecture: 'arm64' }] }, 'src');
    assert.ok(s.kind === 'child' && s.descriptor.digest === d('b'));
  });
  test('several platforms: a rewritten index keeping other fields, without the attestation', () => {
    const s = selectPlatforms(m, { kind: 'some', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] }, 'src');
    assert.ok(s.kind === 'rewritten');
    const j = JSON.parse(s.manifest.bytes.toString()) as typeof index;
    assert.deepEqual(j.annotations, { keep: 'me' });
    assert.deepEqual(j.manifests.map((x) => x.digest), [d('a'), d('b')]);
    assert.equal(s.manifest.digest, digestOf(s.manifest.bytes));
    assert.notEqual(s.manifest.digest, m.digest);
  });
  test('a missing platform names what exists', () =>
    assert.throws(() => selectPlatforms(m, { kind: 'some', platforms: [{ os: 'linux', architecture: 's390x' }] }, 'src'), /no linux\/s390x image \(it has: linux\/amd64, linux\/arm64\/v8\)/));
});

test('a manifest that is not JSON: the parser error quoting its bytes reaches the message as one safe line', () => {
  const bytes = Buffer.from('{"x": \u001b[2J\nforged line}');
  assert.throws(
    () => parseManifest(bytes, 'application/vnd.oci.image.manifest.v1+json', `sha256:${'0'.repeat(64)}`, { registry: 'r', repository: 'a', reference: 'v1' }),
    // eslint-disable-next-line no-control-regex
    (e: unknown) => e instanceof Error && /not valid JSON/.test(e.message) && !/[\u0000-\u001f]/.test(e.message),
  );
});
