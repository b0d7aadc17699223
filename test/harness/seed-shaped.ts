/**
 * A seed-shaped image set (repositories with 2–3 tags, every third one multi-arch, shared base layers), for the
 * fault tests and the benchmark's fault timings. No node:test here: the benchmark imports it outside a test run.
 */
import { makeImage, makeIndex, pushBlob, pushImage, seededBytes, sha256, MT, type TestBlob, type TestManifest } from './images.js';
import type { RegistryHandle } from './registry.js';

export interface SeedImage {
  repo: string;
  tag: string;
  manifest: TestManifest;
}

/**
 * A seed-shaped set: `repos` repositories with 2–3 tags each, every third one multi-arch (docker list or OCI
 * index), all sharing one of two base layers (pushed once per repository, referenced by every image).
 */
export function seedShapedImages(repos = 15, layerSize = 24_000): { images: SeedImage[]; bases: TestBlob[] } {
  const bases = ['base-a', 'base-b'].map((s): TestBlob => {
    const bytes = seededBytes(`seed:${s}`, layerSize * 2);
    return { mediaType: MT.ociLayer, digest: sha256(bytes), size: bytes.length, bytes };
  });
  const images: SeedImage[] = [];
  for (let r = 0; r < repos; r++) {
    const base = bases[r % 2] as TestBlob;
    const tags = 2 + (r % 2);
    for (let t = 0; t < tags; t++) {
      const seed = `seed-${r}-${t}`;
      const img = (arch: string, kind: 'oci' | 'docker'): TestManifest =>
        makeImage({
          kind,
          layers: [layerSize + r * 100 + t, 3000],
          seed: `${seed}-${arch}`,
          platform: { os: 'linux', architecture: arch },
          externalLayers: [{ digest: base.digest, size: base.size }],
        });
      const kind = r % 2 ? 'docker' : 'oci';
      const manifest =
        r % 3 === 0
          ? makeIndex({ kind: kind === 'oci' ? 'oci-index' : 'docker-list', children: [img('amd64', kind), img('arm64', kind)] })
          : img('amd64', kind);
      images.push({ repo: `seed/repo-${String(r).padStart(2, '0')}`, tag: `v${t}`, manifest });
    }
  }
  return { images, bases };
}

/** Pushes the set (base layers first, into every repository that uses them). */
export async function pushSeed(reg: RegistryHandle, set: { images: SeedImage[]; bases: TestBlob[] }): Promise<void> {
  const repos = [...new Set(set.images.map((i) => i.repo))];
  await Promise.all(
    repos.map(async (repo, r) => {
      await pushBlob(reg, repo, set.bases[r % 2] as TestBlob);
      for (const i of set.images.filter((x) => x.repo === repo)) await pushImage(reg, repo, i.tag, i.manifest);
    }),
  );
}
