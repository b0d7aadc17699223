import * as z from 'zod/mini';
import { FerryError, type ErrorContext } from '../errors.js';
import { isDigest, type Digest } from '../ref/digest.js';
import '../zod-messages.js';
import { baseMediaType, IMAGE_TYPES, INDEX_TYPES, MT, SCHEMA1_TYPES } from './media-types.js';
import { escapeName, safeText } from '../safe-text.js';

/** An OCI descriptor. Unknown fields are kept (loose objects) so nothing is lost when an index is rewritten. */
export const Descriptor = z.looseObject({
  mediaType: z.string(),
  digest: z.string().check(z.refine(isDigest, 'not a valid digest')),
  size: z.int().check(z.nonnegative()),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(z.record(z.string(), z.string())),
  platform: z.optional(
    z.looseObject({
      os: z.string(),
      architecture: z.string(),
      variant: z.optional(z.string()),
      'os.version': z.optional(z.string()),
      'os.features': z.optional(z.array(z.string())),
    }),
  ),
  artifactType: z.optional(z.string()),
});
export type Descriptor = z.infer<typeof Descriptor>;

const ImageManifestBody = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  config: Descriptor,
  layers: z.array(Descriptor),
  subject: z.optional(Descriptor),
});

const IndexBody = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  manifests: z.array(Descriptor),
  subject: z.optional(Descriptor),
});

export type ImageManifestBody = z.infer<typeof ImageManifestBody>;
export type IndexBody = z.infer<typeof IndexBody>;

/** A manifest as fetched: the exact bytes (pushed unchanged), its media type and digest, and the parsed view. */
export type Manifest =
  | { kind: 'image'; mediaType: string; digest: Digest; bytes: Uint8Array; body: ImageManifestBody }
  | { kind: 'index'; mediaType: string; digest: Digest; bytes: Uint8Array; body: IndexBody };

/**
 * Parses manifest bytes. Checks that the `mediaType` field (when present) agrees with the Content-Type,
 * refuses schema1, and validates the shape of descriptors. Never re-serialises: `bytes` stay as received.
 */
export function parseManifest(bytes: Uint8Array, contentType: string, digest: Digest, where: ErrorContext): Manifest {
  const header = baseMediaType(contentType);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw new FerryError('MANIFEST_INVALID', `manifest is not valid JSON (${describe(where)}): ${safeText((e as Error).message, 200)}`, where);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FerryError('MANIFEST_INVALID', `manifest is not a JSON object (${describe(where)})`, where);
  }
  const obj = json as Record<string, unknown>;
  const field = typeof obj.mediaType === 'string' ? obj.mediaType : undefined;
  if (field !== undefined && header !== '' && field !== header) {
    throw new FerryError(
      'MEDIA_TYPE_MISMATCH',
      `manifest says mediaType "${escapeName(field, 100)}" but the registry sent Content-Type "${escapeName(header, 100)}" (${describe(where)}); refusing an ambiguous manifest`,
      where,
    );
  }
  const mediaType = field ?? header ?? '';
  if (SCHEMA1_TYPES.has(mediaType) || obj.schemaVersion === 1) {
    throw new FerryError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Docker schema1 manifests are not supported (${describe(where)}): schema1 is deprecated and no longer accepted by Docker Hub; rebuild or re-push the image with a current client`,
      where,
    );
  }
  const isIndex = INDEX_TYPES.has(mediaType) || (mediaType === '' && Array.isArray(obj.manifests));
  const isImage = IMAGE_TYPES.has(mediaType) || (mediaType === '' && obj.config !== undefined);
  if (isIndex) {
    const r = IndexBody.safeParse(obj);
    if (!r.success) throw invalid(r.error, where);
    return { kind: 'index', mediaType: mediaType || MT.ociIndex, digest, bytes, body: r.data };
  }
  if (isImage) {
    const r = ImageManifestBody.safeParse(obj);
    if (!r.success) throw invalid(r.error, where);
    return { kind: 'image', mediaType: mediaType || MT.ociManifest, digest, bytes, body: r.data };
  }
  throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `unsupported manifest media type "${escapeName(mediaType || header, 100)}" (${describe(where)})`, where);
}

function invalid(err: z.core.$ZodError, where: ErrorContext): FerryError {
  const first = err.issues[0];
  const path = first ? first.path.join('.') : '';
  return new FerryError('MANIFEST_INVALID', `manifest is malformed at "${escapeName(path, 100)}": ${safeText(first?.message ?? 'invalid', 200)} (${describe(where)})`, where);
}

function describe(where: ErrorContext): string {
  return [where.registry, where.repository, where.reference].filter(Boolean).join(' ');
}

/** The blobs an image manifest needs: config first, then layers (foreign layers excluded unless asked). */
export function blobDescriptors(m: ImageManifestBody): Descriptor[] {
  return [m.config, ...m.layers];
}
