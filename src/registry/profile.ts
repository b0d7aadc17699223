/**
 * What a session learned about its registry while working with it, so later requests ask the cheaper question or
 * skip one that is known to fail. One profile per RegistryClient (session), created and owned by it.
 *
 * Per session rather than per registry: a registry pool gives each (registry, endpoint, credentials, TLS setting)
 * a client of its own, and some of these facts depend on the credentials (a tag listing is refused for lack of a
 * permission, e.g. ECR without ecr:ListImages) or on the route to the registry. A session lasts as long as its
 * registry pool: one CLI command, or a daemon's loaded config (until it is reloaded), so what a session learned
 * holds across the runs of that config. Only definite answers are learned (a refusal: a 4xx other than 401 and 429; a mount answered
 * 202), never a transient failure.
 *
 * The scheme is the exception in where it is learned: a host's scheme must be known before a session to it
 * exists, so it is probed through a SchemeMemory that the sessions of one registry pool share (one probe per
 * registry and loaded config; transport/scheme.ts), and the profile records what its session settled on.
 */
import type { Scheme } from './transport/scheme.js';

/**
 * What a blob mount from the repository itself says on this registry: 'works' once it answered 201 for a blob
 * the repository was known to hold; 'no' when it answered 202 (it does not mount, or not this way) or refused
 * it; 'proving' while that one test is in flight; undefined until a blob has landed.
 */
export type SelfMount = 'proving' | 'works' | 'no' | undefined;

export class RegistryProfile {
  /** the scheme of the session's endpoint */
  readonly scheme: Scheme;
  selfMount: SelfMount = undefined;
  /**
   * The registry refused a single streamed PATCH or a large monolithic PUT (413/416, as GHCR does above 4 MiB):
   * uploads use fixed-size chunks honouring OCI-Chunk-Min-Length from then on.
   */
  needsChunks = false;
  /** The registry refused a tag listing with these credentials: targets are asked per tag instead. */
  refusesTagList = false;

  constructor(scheme: Scheme) {
    this.scheme = scheme;
  }
}
