import type { Digest } from '../ref/digest.js';

/** How one blob reached the target. */
export type BlobOutcome = 'exists' | 'mounted' | 'copied';

/** Typed progress and decision events of an image copy; logs, metrics and progress bars subscribe to them. */
export type CopyEvent =
  | { type: 'image-decided'; source: string; target: string; action: 'copy' | 'up-to-date'; sourceDigest?: Digest; targetDigest?: Digest }
  | { type: 'manifest-fetched'; registry: string; repository: string; digest: Digest; mediaType: string; size: number }
  /** the source manifest was read: the copy GETs `pulls` manifests at most (itself and the children it selected) */
  | { type: 'pulls-known'; pulls: number }
  | { type: 'manifest-pushed'; registry: string; repository: string; reference: string; digest: Digest; mediaType: string }
  | { type: 'index-rewritten'; source: string; sourceDigest: Digest; digest: Digest; platforms: string }
  | { type: 'blob-started'; digest: Digest; size: number; repository: string }
  | { type: 'blob-progress'; digest: Digest; bytes: number; size: number }
  | { type: 'blob-done'; digest: Digest; size: number; outcome: BlobOutcome; repository: string; from?: string; bytes: number; durationMs: number }
  | { type: 'blob-retry'; digest: Digest; attempt: number; error: string };

export type CopyEventListener = (e: CopyEvent) => void;

export const ignoreEvents: CopyEventListener = () => {};
