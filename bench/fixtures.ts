/**
 * Benchmark fixtures, built on harness registries with the harness's deterministic, seeded images.
 *
 * - seedFixture: a seed-shaped set of repositories (shared base layers per "distro", unique app layers per tag,
 *   every fifth repository multi-arch) — what a typical dregsy config mirrors.
 * - scaleFixture: N repositories × T tags of one small image per repository, tags added by PUTting the same
 *   manifest bytes (fast); the target is a file-level copy of the source, so everything is in sync.
 * - largeImage: one image whose single layer is streamed into the registry (never buffered).
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { makeImage, makeIndex, pushBlob, pushImage, pushLargeBlob, seededBytes, sha256, MT, type TestBlob, type TestManifest } from '../test/harness/images.js';
import type { RegistryHandle } from '../test/harness/registry.js';
import { MiB } from './lib.js';

export interface BlobRef {
  /** first repository holding it (the floor moves it there) */
  repository: string;
  digest: string;
  size: number;
}

export interface SeedFixture {
  repositories: string[];
  tags: Map<string, string[]>;
  images: number;
  multiArch: number;
  /** every distinct blob once */
  uniqueBlobs: BlobRef[];
  uniqueBytes: number;
}

export interface SeedShape {
  repositories: number;
  tagsPerRepo: number;
  /** multiplies every layer size (1 = full size) */
  sizeFactor: number;
}

/** Base layers per distro and architecture (full size, MiB). */
const BASES: Record<string, Record<string, number[]>> = {
  debian: { amd64: [27, 1], arm64: [25, 1] },
  alpine: { amd64: [3.2], arm64: [3.1] },
  ubuntu: { amd64: [28, 0.5], arm64: [26, 0.5] },
};
const DISTROS = Object.keys(BASES);

export async function pool<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export async function seedFixture(reg: RegistryHandle, shape: SeedShape): Promise<SeedFixture> {
  const size = (mib: number): number => Math.max(512, Math.round(mib * MiB * shape.sizeFactor));
  // Base layers: deterministic, shared by every repository of the distro.
  const bases = new Map<string, TestBlob[]>();
  for (const distro of DISTROS) {
    for (const arch of ['amd64', 'arm64']) {
      bases.set(`${distro}/${arch}`, BASES[distro]![arch]!.map((mib, i) => {
        const bytes = seededBytes(`base:${distro}:${arch}:${i}`, size(mib));
        return { mediaType: MT.dockerLayer, digest: sha256(bytes), size: bytes.length, bytes };
      }));
    }
  }
  const unique = new Map<string, BlobRef>();
  const note = (repository: string, b: { digest: string; size: number }): void => {
    if (!unique.has(b.digest)) unique.set(b.digest, { repository, digest: b.digest, size: b.size });
  };
  const repositories = Array.from({ length: shape.repositories }, (_, i) => `bench/app-${String(i).padStart(2, '0')}`);
  const tags = new Map<string, string[]>();
  let images = 0;
  let multiArch = 0;
  await pool(repositories, 4, async (repository, i) => {
    const distro = DISTROS[i % DISTROS.length]!;
    const multi = i % 5 === 0;
    if (multi) multiArch++;
    const arches = multi ? ['amd64', 'arm64'] : ['amd64'];
    for (const arch of arches) {
      for (const b of bases.get(`${distro}/${arch}`)!) {
        await pushBlob(reg, repository, b);
        note(repository, b);
      }
    }
    const list: string[] = [];
    for (let t = 0; t < shape.tagsPerRepo; t++) {
      const tag = `1.${t}.0`;
      const children = arches.map((arch) => {
        const img = makeImage({
          kind: t % 2 ? 'oci' : 'docker',
          layers: [size(0.75 + ((i * 7 + t * 3) % 4) * 0.6), size(0.02)],
          seed: `app:${repository}:${tag}:${arch}`,
          platform: { os: 'linux', architecture: arch },
          externalLayers: bases.get(`${distro}/${arch}`)!.map((b) => ({ digest: b.digest, size: b.size })),
        });
        for (const b of img.blobs) note(repository, b);
        return img;
      });
      const m: TestManifest = multi ? makeIndex({ kind: t % 2 ? 'oci-index' : 'docker-list', children }) : children[0]!;
      await pushImage(reg, repository, tag, m);
      list.push(tag);
      images++;
    }
    tags.set(repository, list);
  });
  const uniqueBlobs = [...unique.values()];
  return { repositories, tags, images, multiArch, uniqueBlobs, uniqueBytes: uniqueBlobs.reduce((n, b) => n + b.size, 0) };
}

export interface ScaleFixture {
  repositories: string[];
  tags: string[];
}

/**
 * `repos` repositories × `tagsPerRepo` tags on `src`, then the same storage copied under `dst` (started empty,
 * never yet asked anything), so every tag is in sync. Raw HTTP, 16 requests in flight.
 */
export async function scaleFixture(src: RegistryHandle, dst: RegistryHandle, repos: number, tagsPerRepo: number): Promise<ScaleFixture> {
  const dispatcher = new Agent({ connections: 32 });
  const call = async (method: 'POST' | 'PUT', url: string, headers: Record<string, string>, body: Buffer | undefined, expect: number): Promise<Record<string, unknown>> => {
    const res = await request(url, { method, headers, dispatcher, ...(body ? { body } : {}) });
    await res.body.dump();
    if (res.statusCode !== expect) throw new Error(`${method} ${url}: ${res.statusCode}`);
    return res.headers;
  };
  const upload = async (repository: string, b: { digest: string; bytes: Buffer }): Promise<void> => {
    const h = await call('POST', `${src.url}/v2/${repository}/blobs/uploads/`, { 'content-length': '0' }, undefined, 202);
    const loc = new URL(String(h.location), src.url);
    loc.searchParams.set('digest', b.digest);
    await call('PUT', loc.href, { 'content-type': 'application/octet-stream', 'content-length': String(b.bytes.length) }, b.bytes, 201);
  };
  const repositories = Array.from({ length: repos }, (_, i) => `scale/r${String(i).padStart(4, '0')}`);
  const tags = Array.from({ length: tagsPerRepo }, (_, t) => `v${t}`);
  const layerBytes = seededBytes('scale:shared-layer', 2048);
  const layer = { digest: sha256(layerBytes), bytes: layerBytes };
  await upload(repositories[0]!, layer);
  await pool(repositories, 16, async (repository, i) => {
    if (i > 0) {
      const q = new URLSearchParams({ mount: layer.digest, from: repositories[0]! });
      await call('POST', `${src.url}/v2/${repository}/blobs/uploads/?${q}`, { 'content-length': '0' }, undefined, 201);
    }
    const img = makeImage({ kind: 'docker', layers: [], seed: `scale:${repository}`, externalLayers: [{ digest: layer.digest, size: layerBytes.length }] });
    await upload(repository, img.blobs[0]!);
    for (const tag of tags) {
      await call('PUT', `${src.url}/v2/${repository}/manifests/${tag}`, { 'content-type': img.mediaType, 'content-length': String(img.manifestBytes.length) }, img.manifestBytes, 201);
    }
  });
  await dispatcher.close();
  await cp(join(src.dir, 'data'), join(dst.dir, 'data'), { recursive: true });
  return { repositories, tags };
}

/** One image with a single `size`-byte layer in `repository:tag`, the layer streamed in chunks. */
export async function largeImage(reg: RegistryHandle, repository: string, tag: string, size: number, seed: string): Promise<void> {
  const layer = await pushLargeBlob(reg, repository, size, seed);
  await pushImage(reg, repository, tag, makeImage({ kind: 'docker', layers: [], seed: `img:${seed}`, externalLayers: [layer] }));
}
