import { FerryError } from '../errors.js';
import { isDigest } from '../ref/digest.js';
import { isValidRepository, isValidTag } from '../ref/reference.js';
import { escapeName } from '../safe-text.js';

/**
 * URL paths of the distribution API. Names are checked against distribution's grammar and every path segment is
 * percent-encoded, so a name can never add a segment, a query or a fragment to a request (`y?digest=…`, `z#frag`,
 * `x/../../evil`): a name that breaks the grammar fails here, before any request.
 */

/**
 * One path segment, percent-encoded; `.` and `..` too, so no URL parser resolves them as dot segments. `:` stays
 * as it is (RFC 3986 allows it in a segment, and digests are written `sha256:…` in every registry's paths).
 */
export function pathSegment(s: string): string {
  const e = encodeURIComponent(s).replace(/%3A/g, ':');
  return e === '.' ? '%2E' : e === '..' ? '%2E%2E' : e;
}

/** `/v2/<repository>`, each `/`-separated component encoded; throws REFERENCE_INVALID for an invalid name. */
export function repositoryPath(repository: string): string {
  if (!isValidRepository(repository)) {
    throw new FerryError('REFERENCE_INVALID', `invalid repository name "${escapeName(repository)}": refusing to build a request for it`, {
      repository: escapeName(repository),
    });
  }
  return `/v2/${repository.split('/').map(pathSegment).join('/')}`;
}

/** A tag or a digest, encoded; throws REFERENCE_INVALID for anything else. */
export function referenceSegment(reference: string): string {
  if (!isValidTag(reference) && !isDigest(reference)) {
    throw new FerryError('REFERENCE_INVALID', `invalid tag or digest "${escapeName(reference)}": refusing to build a request for it`, {
      reference: escapeName(reference),
    });
  }
  return pathSegment(reference);
}

export function manifestPath(repository: string, reference: string): string {
  return `${repositoryPath(repository)}/manifests/${referenceSegment(reference)}`;
}

export function blobPath(repository: string, digest: string): string {
  if (!isDigest(digest)) {
    throw new FerryError('REFERENCE_INVALID', `invalid digest "${escapeName(digest)}": refusing to build a request for it`, { digest: escapeName(digest) });
  }
  return `${repositoryPath(repository)}/blobs/${pathSegment(digest)}`;
}

export function uploadsPath(repository: string): string {
  return `${repositoryPath(repository)}/blobs/uploads/`;
}

export function tagsListPath(repository: string): string {
  return `${repositoryPath(repository)}/tags/list`;
}
