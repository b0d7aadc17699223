import type { ListerSettings, MappingConfig, TaskConfig } from '../config/types.js';
import { FerryError } from '../errors.js';
import type { Clock } from '../clock.js';
import { cachedLister } from './cache.js';
import { catalogLister } from './catalog.js';
import { dockerHubLister } from './dockerhub.js';
import { harborLister } from './harbor.js';
import { indexLister } from './index-search.js';
import { literalNamespace } from '../filter/mapping.js';
import type { RepositoryLister, SessionCredentials, SessionFn } from './types.js';
import { validatedLister } from './validated.js';
import type { Logger } from '../log/logger.js';

export { cachedLister, catalogLister, dockerHubLister, harborLister, indexLister, literalNamespace };
export type { RepositoryLister, SessionCredentials, SessionFn };

export interface TaskListerDeps {
  settings: ListerSettings;
  clock: Clock;
  /** the source registry's session: every lister's requests go through it (TLS settings, retries, limits) */
  session: SessionFn;
  /** the credentials of the session's account, for the Hub and Harbor APIs' own logins */
  credentials: SessionCredentials;
  /** API origins, for tests */
  hubApi?: string;
  /** warnings about invalid listed names */
  logger?: Logger;
  hubIndex?: string;
}

/**
 * A task's repository listers with dregsy's per-task cache: one cached list per lister (and, for the Hub and Harbor
 * APIs, per namespace or project), rebuilt on every config (re)load. Type: the source's `lister.type`, default
 * catalog.
 */
export class TaskListers {
  readonly #cache = new Map<string, RepositoryLister>();
  constructor(
    private readonly task: TaskConfig,
    private readonly deps: TaskListerDeps,
  ) {}

  for(mapping: MappingConfig): RepositoryLister {
    if (mapping.from.kind !== 'regex') throw new FerryError('CONFIG_INVALID', 'a plain from needs no lister');
    const cfg = this.task.source.lister;
    const type: string = cfg?.type ?? 'catalog';
    const ns = literalNamespace(mapping.from.matcher.pattern);
    const key = type === 'dockerhub' || type === 'harbor' ? `${type}:${ns ?? ''}` : type;
    let l = this.#cache.get(key);
    if (!l) {
      l = cachedLister(validatedLister(this.#make(type, ns, cfg?.search), this.deps.logger), this.deps.settings.cacheDurationMs, this.deps.clock);
      this.#cache.set(key, l);
    }
    return l;
  }

  #make(type: string, ns: string | undefined, search: string | undefined): RepositoryLister {
    const { deps } = this;
    const maxItems = deps.settings.maxItems;
    const session = deps.session;
    switch (type) {
      case 'dockerhub':
        return dockerHubLister({ session, credentials: deps.credentials, maxItems, ...(ns ? { namespace: ns } : {}), ...(deps.hubApi ? { api: deps.hubApi } : {}) });
      case 'index':
        return indexLister({ session, search: search ?? '', maxItems, ...(deps.hubIndex ? { index: deps.hubIndex } : {}) });
      case 'harbor': {
        const project = search ?? ns;
        if (!project) throw new FerryError('CONFIG_INVALID', `task '${this.task.name}': the harbor lister needs a project: start the from regex with it (regex:project/.*) or set search: <project>`);
        return harborLister({ session, project, credentials: deps.credentials, maxItems });
      }
      default:
        return catalogLister(session, maxItems);
    }
  }
}
