import { isValidRepository } from '../ref/reference.js';
import type { Logger } from '../log/logger.js';
import { escapeName } from '../safe-text.js';
import type { RepositoryLister } from './types.js';

/**
 * A lister whose names must follow distribution's repository grammar: a Hub, Harbor or index API is remote and
 * may send anything. Invalid names are skipped with one warning each (escaped), per listing; `_catalog` listings
 * are already checked the same way.
 */
export function validatedLister(inner: RepositoryLister, logger?: Logger): RepositoryLister {
  return {
    describe: inner.describe,
    async list(signal) {
      const names = await inner.list(signal);
      const warned = new Set<string>();
      return names.filter((name) => {
        if (isValidRepository(name)) return true;
        if (!warned.has(name)) {
          warned.add(name);
          const shown = escapeName(name);
          logger?.warn({ lister: inner.describe, repository: shown }, `${inner.describe} listed an invalid repository name "${shown}"; skipping it`);
        }
        return false;
      });
    },
  };
}
