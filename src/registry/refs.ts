/**
 * What registry functions act on: a manifest or a blob in a repository, and the access a request asks for.
 * The registry itself is the client's (a session with one registry), so it is not part of these references.
 */
import type { Digest } from '../ref/digest.js';
import { repositoryScope } from './auth/scope.js';

/** A manifest in a repository, by tag or by digest. */
export interface ManifestRef {
  repository: string;
  /** a tag or a digest */
  reference: string;
}

/** A blob in a repository. */
export interface BlobRef {
  repository: string;
  digest: Digest;
}

/**
 * The access a request asks for: 'pull' to read a source; 'push' for a target, whose reads (HEADs, tag listings)
 * ask with the pull and push scope its writes need anyway, so one token serves all of them.
 */
export type AccessScope = 'pull' | 'push';

/** The token scopes for `access` to `repository`. */
export function scopesFor(repository: string, access: AccessScope): string[] {
  return [repositoryScope(repository, access === 'push' ? ['pull', 'push'] : ['pull'])];
}
