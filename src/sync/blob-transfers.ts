import type { Digest } from '../ref/digest.js';

/**
 * Run-wide memory of blobs on target registries: which repositories are known to hold a blob (to mount
 * from) and which transfers are in flight (so parallel copies wait instead of transferring twice).
 * One instance serves a whole run; it is keyed by registry, so it can span several targets.
 */
export class BlobTransfers {
  private readonly holders = new Map<string, Set<string>>();
  private readonly inflight = new Map<string, Promise<unknown>>();

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
}
