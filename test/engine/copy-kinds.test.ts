/**
 * ferry's image copy against real distribution 2.8.2 registries: every manifest kind copies byte for byte
 * (checked with skopeo, an independent client), with every child and blob; re-copies cost no source GET.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseReference } from '../../src/ref/reference.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { makeArtifact, makeImage, makeIndex, pushImage, type TestManifest } from '../harness/images.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../harness/skopeo.js';
import { allManifests, blobStatus, client, proxy, registry } from './helpers.js';

function fixtures(seed: string): Record<string, TestManifest> {
  const amd64 = makeImage({ kind: 'oci', layers: [1500, 30_000], seed: `${seed}-amd64` });
  const arm64 = makeImage({ kind: 'oci', layers: [2500], seed: `${seed}-arm64`, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const docker = makeImage({ kind: 'docker', layers: [700, 9000], seed: `${seed}-docker` });
  const dockerArm = makeImage({ kind: 'docker', layers: [800], seed: `${seed}-docker-arm`, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
  return {
    'oci-index': makeIndex({ kind: 'oci-index', children: [amd64, arm64], withAttestation: true }),
    'docker-list': makeIndex({ kind: 'docker-list', children: [docker, dockerArm] }),
    'oci-manifest': amd64,
    'docker-v2': docker,
    artifact: makeArtifact({ seed, artifactType: 'application/vnd.example.sbom.v1', configMediaType: 'application/vnd.example.thing.config.v1+json' }),
  };
}

describe('copy every manifest kind between open registries', () => {
  test('byte-identical manifests, all children and blobs present; second copy is free', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const srcProxy = await proxy({ upstream: { url: srcReg.url } });
    const src = await client(srcReg, { via: srcProxy.url });
    const dst = await client(dstReg);
    const kinds = fixtures('kinds');
    const transfers = new BlobTransfers();
    for (const [name, m] of Object.entries(kinds)) {
      await pushImage(srcReg, `src/${name}`, 'v1', m);
      const r = await copyImage(src, parseReference(`${srcReg.host}/src/${name}:v1`), dst, parseReference(`${dstReg.host}/dst/${name}:v1`), { transfers });
      assert.equal(r.action, 'copied', name);
      assert.equal(r.targetDigest, m.digest, name);
    }
    const ep = await skopeoEndpointFor(dstReg);
    for (const [name, m] of Object.entries(kinds)) {
      assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/dst/${name}:v1`, ep), m.manifestBytes, `${name}: tag bytes`);
      for (const child of allManifests(m)) {
        assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/dst/${name}@${child.digest}`, ep), child.manifestBytes, `${name}: child ${child.digest}`);
        if (child.kind === 'image') for (const b of child.blobs) assert.equal(await blobStatus(dstReg, `dst/${name}`, b.digest), 200, `${name}: blob ${b.digest}`);
      }
    }

    // Second run: HEADs only on the source; no manifest GET, no blob GET, nothing uploaded.
    srcProxy.reset();
    for (const name of Object.keys(kinds)) {
      const r = await copyImage(src, parseReference(`${srcReg.host}/src/${name}:v1`), dst, parseReference(`${dstReg.host}/dst/${name}:v1`));
      assert.equal(r.action, 'up-to-date', name);
      assert.equal(r.manifestGets, 0);
      assert.equal(r.bytes, 0);
    }
    assert.equal(srcProxy.count({ method: 'GET', pathRegex: /\/manifests\// }), 0, 'source manifest GETs on re-copy');
    assert.equal(srcProxy.count({ method: 'GET', pathRegex: /\/blobs\// }), 0, 'source blob GETs on re-copy');
    assert.equal(srcProxy.count({ method: 'HEAD', pathRegex: /\/manifests\// }), Object.keys(kinds).length);
  });

  test('platform selection: one platform points the tag at that image; several rewrite the index', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const src = await client(srcReg);
    const dst = await client(dstReg);
    const idx = fixtures('plat')['oci-index']!;
    assert.ok(idx.kind === 'index');
    await pushImage(srcReg, 'app', 'v1', idx);
    const arm = idx.children[1]!;
    const one = await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/one:v1`), {
      platforms: { kind: 'some', platforms: [{ os: 'linux', architecture: 'arm64' }] },
    });
    assert.equal(one.targetDigest, arm.digest);
    const ep = await skopeoEndpointFor(dstReg);
    assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/one:v1`, ep), arm.manifestBytes);

    const sel = { kind: 'some' as const, platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] };
    const events: string[] = [];
    const two = await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/two:v1`), {
      platforms: sel,
      events: (e) => events.push(e.type),
    });
    assert.notEqual(two.targetDigest, idx.digest);
    assert.ok(events.includes('index-rewritten'));
    const raw = JSON.parse((await skopeoInspectRaw(`${dstReg.host}/two:v1`, ep)).toString()) as { manifests: { platform: { os: string } }[] };
    assert.equal(raw.manifests.length, 2);
    assert.ok(raw.manifests.every((m) => m.platform.os === 'linux'), 'the attestation (unknown/unknown) is not selected');
    // A second filtered copy is up to date (the selected content is already there).
    const again = await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/two:v1`), { platforms: sel });
    assert.equal(again.action, 'up-to-date');
    await assert.rejects(
      copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/three:v1`), {
        platforms: { kind: 'some', platforms: [{ os: 'windows', architecture: 'amd64' }] },
      }),
      /has no windows\/amd64 image \(it has: linux\/amd64, linux\/arm64\/v8\)/,
    );
  });
});
