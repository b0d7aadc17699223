/** Media types and header names, in one place. */
export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Sent on every manifest GET and HEAD, source and target alike. Schema1 is deliberately absent. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export const INDEX_TYPES: ReadonlySet<string> = new Set([MT.ociIndex, MT.dockerList]);
export const IMAGE_TYPES: ReadonlySet<string> = new Set([MT.ociManifest, MT.dockerManifest]);
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MT.dockerSchema1, MT.dockerSchema1Signed, 'application/json']);

/** Strips parameters and case from a Content-Type. */
export function baseMediaType(contentType: string | undefined | null): string {
  if (!contentType) return '';
  const i = contentType.indexOf(';');
  return (i >= 0 ? contentType.slice(0, i) : contentType).trim().toLowerCase();
}

export function isForeignLayer(mediaType: string): boolean {
  return mediaType === MT.dockerForeignLayer || mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.');
}
