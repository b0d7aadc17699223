import type { Digest } from '../ref/digest.js';

/**
 * Run-wide memory of blobs on target registries: which repositories are known to hold a blob (to mount
 * from) and which transfers are in flight (so parallel copies wait instead of transferring twice).
 * One instance serves a whole run; it is keyed by registry, so it can span several targets.
 */
export class BlobTransfers {
  private readonly holders = new Map<string, Set<string>>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly writes = new Map<string, Promise<unknown>>();

  private static key(registry: string, digest: Digest): string {
    return `${registry}\u0000${digest}`;
  }

  landed(registry: string, digest: Digest, repository: string): void {
    const k = BlobTransfers.key(registry, digest);
    let set = this.holders.get(k);
    if (!set) this.holders.set(k, (set = new Set()));
    set.add(repository);
  }

  holds(registry: string, digest: Digest, repository: string): boolean {
    return this.holders.get(BlobTransfers.key(registry, digest))?.has(repository) ?? false;
  }

  /** Repositories of `registry` known to hold the blob, other than `except`. */
  mountSources(registry: string, digest: Digest, except: string): string[] {
    return [...(this.holders.get(BlobTransfers.key(registry, digest)) ?? [])].filter((r) => r !== except);
  }

  inFlight(registry: string, digest: Digest): Promise<unknown> | undefined {
    return this.inflight.get(BlobTransfers.key(registry, digest));
  }

  /** Registers a transfer synchronously (call with no await between the check and this). */
  track<T>(registry: string, digest: Digest, work: Promise<T>): Promise<T> {
    const k = BlobTransfers.key(registry, digest);
    const settled = work.finally(() => {
      if (this.inflight.get(k) === settled) this.inflight.delete(k);
    });
    this.inflight.set(k, settled);
    return settled;
  }

  /**
   * Runs `work` unless the same write into the same repository is already under way; then returns that one's
   * promise with `shared: true`. Two writes that link one blob or manifest into one repository at once race
   * inside the registry (distribution rewrites the link file in place, and a manifest PUT reading it meanwhile
   * fails with DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN), so ferry never issues them concurrently.
   */
  once<T>(kind: 'blob' | 'manifest', registry: string, repository: string, digest: Digest, work: () => Promise<T>): { shared: boolean; result: Promise<T> } {
    const k = `${kind}\u0000${registry}\u0000${repository}\u0000${digest}`;
    const running = this.writes.get(k) as Promise<T> | undefined;
    if (running) return { shared: true, result: running };
    const result = work().finally(() => {
      if (this.writes.get(k) === result) this.writes.delete(k);
    });
    this.writes.set(k, result);
    return { shared: false, result };
  }
}
