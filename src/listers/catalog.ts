import { listCatalog } from '../registry/listing.js';
import type { RepositoryLister, SessionFn } from './types.js';

/**
 * `/v2/_catalog`, paginated; stops once `maxItems` names are in (null: no limit). dregsy rounds its soft limit up
 * to whole pages of 100; ferry stops at exactly `maxItems`.
 */
export function catalogLister(session: SessionFn, maxItems: number | null): RepositoryLister {
  return {
    describe: 'catalog',
    async list(signal) {
      const c = await session();
      return listCatalog(c, { pageSize: 100, ...(signal ? { signal } : {}), ...(maxItems ? { maxItems } : {}) });
    },
  };
}
