/**
 * Deterministic test images, indexes and artifacts, built in code.
 *
 * Manifests are serialised with deliberately NON-canonical JSON (3-space
 * indent + trailing newline) so byte-exact copying is really exercised.
 * Layer bytes come from an AES-128-CTR keystream keyed by a seed: fast,
 * reproducible, and streamable (see largeBlobStream in push.ts).
 * Pushing lives in push.ts (raw undici, independent of ferry's src/).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export { pushBlob, pushImage, pushLargeBlob, pushManifest } from './push.js';
export type { PushResult } from './push.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** A blob with its bytes. */
export interface TestBlob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

/** A single-platform manifest (image, attestation or artifact). */
export interface TestImage {
  kind: 'image';
  mediaType: string;
  manifestBytes: Buffer;
  digest: string;
  /** Blobs to upload (config first). Excludes `externalLayers`. */
  blobs: TestBlob[];
  platform?: Platform;
  /** Extra index-descriptor annotations when used as an index child (attestations). */
  descriptorAnnotations?: Record<string, string>;
}

/** A manifest list / OCI index. */
export interface TestIndex {
  kind: 'index';
  mediaType: string;
  manifestBytes: Buffer;
  digest: string;
  children: TestManifest[];
}

export type TestManifest = TestImage | TestIndex;

/** `sha256:<hex>` of bytes. */
export function sha256(bytes: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** Non-canonical serialisation used for every fixture manifest. */
export function serialize(obj: unknown): Buffer {
  return Buffer.from(JSON.stringify(obj, null, 3) + '\n');
}

function keystream(seed: string): (n: number) => Buffer {
  const h = createHash('sha256').update(`ferry-test:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', h.subarray(0, 16), h.subarray(16, 32));
  return (n) => cipher.update(Buffer.alloc(n));
}

/** Deterministic pseudo-random bytes for `seed`. Same as concatenating largeBlobStream(size, seed). */
export function seededBytes(seed: string, size: number): Buffer {
  return keystream(seed)(size);
}

/** A Readable yielding `seededBytes(seed, size)` in chunks without holding it all in memory. */
export function largeBlobStream(size: number, seed: string, chunkSize = 1 << 20): Readable {
  const next = keystream(seed);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(chunkSize, left);
      left -= n;
      this.push(next(n));
    },
  });
}

/** Digest of `seededBytes(seed, size)`, computed in streaming fashion. */
export function seededDigest(size: number, seed: string): string {
  const next = keystream(seed);
  const h = createHash('sha256');
  for (let left = size; left > 0; left -= 1 << 22) h.update(next(Math.min(1 << 22, left)));
  return 'sha256:' + h.digest('hex');
}

function blob(mediaType: string, bytes: Buffer): TestBlob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

const desc = (b: { mediaType: string; digest: string; size: number }): Descriptor =>
  ({ mediaType: b.mediaType, digest: b.digest, size: b.size });

export interface MakeImageOptions {
  kind: 'docker' | 'oci';
  /** Layer sizes in bytes. */
  layers: number[];
  seed: string;
  platform?: Platform;
  /** Layers already pushed separately (e.g. with pushLargeBlob); referenced but not in `blobs`. */
  externalLayers?: { digest: string; size: number }[];
  annotations?: Record<string, string>;
}

/** Make a single-platform Docker schema2 or OCI image. */
export function makeImage(o: MakeImageOptions): TestImage {
  const platform = o.platform ?? { os: 'linux', architecture: 'amd64' };
  const docker = o.kind === 'docker';
  const layerType = docker ? MT.dockerLayer : MT.ociLayer;
  const layers = o.layers.map((size, i) => blob(layerType, seededBytes(`${o.seed}:layer:${i}`, size)));
  const layerDescs = [...layers.map(desc), ...(o.externalLayers ?? []).map((l) => ({ mediaType: layerType, ...l }))];
  const config = blob(docker ? MT.dockerConfig : MT.ociConfig, serialize({
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: '2024-01-01T00:00:00Z',
    config: { Labels: { 'ferry.test.seed': o.seed } },
    rootfs: { type: 'layers', diff_ids: layerDescs.map((l) => l.digest) },
  }));
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? MT.dockerManifest : MT.ociManifest,
    config: desc(config),
    layers: layerDescs,
    ...(o.annotations ? { annotations: o.annotations } : {}),
  };
  const manifestBytes = serialize(manifest);
  return {
    kind: 'image', mediaType: manifest.mediaType, manifestBytes, digest: sha256(manifestBytes),
    blobs: [config, ...layers], platform,
  };
}

/** A buildkit-style attestation manifest for `subject` (platform unknown/unknown in the index). */
export function makeAttestation(subject: TestImage, seed: string): TestImage {
  const statement = blob(MT.inToto, serialize({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://spdx.dev/Document',
    subject: [{ name: 'ferry-test', digest: { sha256: subject.digest.slice(7) } }],
    predicate: { seed },
  }));
  const config = blob(MT.ociConfig, serialize({
    architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [statement.digest] },
  }));
  const manifestBytes = serialize({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: desc(config),
    layers: [{ ...desc(statement), annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' } }],
  });
  return {
    kind: 'image', mediaType: MT.ociManifest, manifestBytes, digest: sha256(manifestBytes),
    blobs: [config, statement], platform: { os: 'unknown', architecture: 'unknown' },
    descriptorAnnotations: {
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': subject.digest,
    },
  };
}

export interface MakeIndexOptions {
  kind: 'docker-list' | 'oci-index';
  children: TestManifest[];
  /** Add one buildkit-style attestation manifest per image child (after the images). */
  withAttestation?: boolean;
  annotations?: Record<string, string>;
}

/** Make a Docker manifest list or OCI index over `children` (attestations appended if asked). */
export function makeIndex(o: MakeIndexOptions): TestIndex {
  const children = [...o.children];
  if (o.withAttestation) {
    for (const c of o.children) if (c.kind === 'image') children.push(makeAttestation(c, `att:${c.digest}`));
  }
  const manifests = children.map((c): Descriptor => ({
    mediaType: c.mediaType,
    digest: c.digest,
    size: c.manifestBytes.length,
    ...(c.kind === 'image' && c.platform ? { platform: c.platform } : {}),
    ...(c.kind === 'image' && c.descriptorAnnotations ? { annotations: c.descriptorAnnotations } : {}),
  }));
  const mediaType = o.kind === 'docker-list' ? MT.dockerList : MT.ociIndex;
  const manifestBytes = serialize({
    schemaVersion: 2, mediaType, manifests, ...(o.annotations ? { annotations: o.annotations } : {}),
  });
  return { kind: 'index', mediaType, manifestBytes, digest: sha256(manifestBytes), children };
}

export interface MakeArtifactOptions {
  seed?: string;
  artifactType?: string;
  configMediaType?: string;
  layerMediaType?: string;
  layerSize?: number;
  /** Makes this a referrer of `subject` (the registry stores it but ignores the field on 2.8.2). */
  subject?: TestManifest;
}

/** An OCI artifact manifest: `artifactType`, unknown config media type, custom layer media type. */
export function makeArtifact(o: MakeArtifactOptions = {}): TestImage {
  const seed = o.seed ?? 'artifact';
  const config = blob(o.configMediaType ?? 'application/vnd.example.thing.config.v1+json',
    serialize({ thing: seed }));
  const layer = blob(o.layerMediaType ?? 'application/vnd.example.thing.layer.v1.tar',
    seededBytes(`${seed}:artifact-layer`, o.layerSize ?? 1024));
  const manifestBytes = serialize({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    artifactType: o.artifactType ?? 'application/vnd.example.thing.v1',
    config: desc(config),
    layers: [desc(layer)],
    ...(o.subject ? { subject: { mediaType: o.subject.mediaType, digest: o.subject.digest, size: o.subject.manifestBytes.length } } : {}),
    annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
  });
  return { kind: 'image', mediaType: MT.ociManifest, manifestBytes, digest: sha256(manifestBytes), blobs: [config, layer] };
}

/** All blobs of a manifest tree, deduplicated by digest. */
export function allBlobs(m: TestManifest): TestBlob[] {
  const seen = new Map<string, TestBlob>();
  const walk = (x: TestManifest): void => {
    if (x.kind === 'image') for (const b of x.blobs) seen.set(b.digest, b);
    else x.children.forEach(walk);
  };
  walk(m);
  return [...seen.values()];
}
