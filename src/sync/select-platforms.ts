import { FerryError } from '../errors.js';
import { digestOf } from '../ref/digest.js';
import type { Descriptor, Manifest } from '../oci/manifest.js';
import { formatPlatform, matchesPlatform, type PlatformSelection } from '../oci/platform.js';

/** What the target reference will hold. */
export type Selected =
  /** copied as is: an index byte for byte with every child, or a single image manifest */
  | { kind: 'as-is'; manifest: Manifest }
  /** one platform out of an index: the target points at that child manifest (dregsy's behaviour) */
  | { kind: 'child'; descriptor: Descriptor }
  /** several platforms: a new index listing only those children, with a new digest */
  | { kind: 'rewritten'; manifest: Extract<Manifest, { kind: 'index' }> };

export function selectPlatforms(m: Manifest, sel: PlatformSelection, source: string): Selected {
  if (sel.kind === 'all' || m.kind === 'image') return { kind: 'as-is', manifest: m };
  const picked: Descriptor[] = [];
  for (const want of sel.platforms) {
    const d = m.body.manifests.find((x) => matchesPlatform(x, want));
    if (!d) {
      const have = m.body.manifests
        .filter((x) => x.platform && x.platform.os !== 'unknown')
        .map((x) => formatPlatform({ os: x.platform!.os, architecture: x.platform!.architecture, ...(x.platform!.variant ? { variant: x.platform!.variant } : {}) }));
      throw new FerryError('NOT_FOUND', `${source} has no ${formatPlatform(want)} image (it has: ${have.join(', ') || 'none'}); fix the platform setting`, { reference: source });
    }
    if (!picked.includes(d)) picked.push(d);
  }
  if (picked.length === 1) return { kind: 'child', descriptor: picked[0]! };
  // Rewrite from the original JSON so every other field (annotations, subject, unknown keys) survives.
  const original = JSON.parse(Buffer.from(m.bytes).toString('utf8')) as Record<string, unknown>;
  const keep = new Set(picked.map((d) => d.digest));
  const manifests = (original.manifests as Array<{ digest: string }>).filter((e) => keep.has(e.digest));
  const bytes = Buffer.from(JSON.stringify({ ...original, manifests }, null, 3) + '\n');
  return { kind: 'rewritten', manifest: { kind: 'index', mediaType: m.mediaType, digest: digestOf(bytes), bytes, body: { ...m.body, manifests: picked } } };
}

/** The manifests an index needs on the target before it can be pushed. */
export function childrenOf(m: Manifest): Descriptor[] {
  return m.kind === 'index' ? m.body.manifests : [];
}
