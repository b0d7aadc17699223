import type { Clock } from '../clock.js';
import type { RepositoryLister } from './types.js';

/**
 * dregsy's per-task cache (`RepoList.Get`): a list is reused for `cacheDurationMs`; 0 means every call lists
 * afresh. A failed listing is not cached. Concurrent callers share one listing in flight.
 */
export function cachedLister(inner: RepositoryLister, cacheDurationMs: number, clock: Clock): RepositoryLister & { readonly listings: number } {
  let cached: { at: number; list: Promise<string[]> } | undefined;
  let listings = 0;
  return {
    describe: inner.describe,
    get listings() {
      return listings;
    },
    list(signal) {
      const now = clock.now();
      if (cached && cacheDurationMs > 0 && now - cached.at < cacheDurationMs) return cached.list;
      listings++;
      const list = inner.list(signal);
      const entry = { at: now, list };
      cached = entry;
      list.catch(() => {
        if (cached === entry) cached = undefined;
      });
      return list;
    },
  };
}
