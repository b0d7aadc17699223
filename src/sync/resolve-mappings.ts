import { sourceRepository, targetRepository } from '../config/resolve.js';
import type { MappingConfig, TaskConfig } from '../config/types.js';
import { matchRepositories } from '../filter/mapping.js';
import type { TaskListers } from '../listers/index.js';
import { repoRef, type ImageRef } from '../ref/reference.js';

/** One source repository of a mapping and where it goes. */
export interface ResolvedRepository {
  mapping: MappingConfig;
  /** position in the mapping's resolved list (plans stream in completion order; reports sort by this) */
  order: number;
  /** repository refs without tag: Docker Hub's `library/` added on the source as on the target */
  source: ImageRef;
  target: ImageRef;
}

/**
 * The repositories a mapping covers (dregsy `Task.mappingRefs`): the plain `from`, or every listed name its regex
 * matches (listing through the task's cached lister), each mapped by `to` onto the target.
 */
export async function resolveMapping(task: TaskConfig, mapping: MappingConfig, listers: TaskListers | undefined, signal?: AbortSignal): Promise<ResolvedRepository[]> {
  let names: string[];
  if (mapping.from.kind === 'plain') names = [mapping.from.repository];
  else {
    if (!listers) throw new Error(`task '${task.name}': a regex from needs a lister`);
    names = matchRepositories(mapping.from, await listers.for(mapping).list(signal));
  }
  return names.map((name, order) => ({
    mapping,
    order,
    source: repoRef(task.source.canonical, sourceRepository(task.source, name)),
    target: repoRef(task.target.canonical, targetRepository(task.target, mapping, name)),
  }));
}
