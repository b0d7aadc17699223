import type { MappingConfig, TaskConfig } from '../config/types.js';
import { isFerryError, isRefusal } from '../errors.js';
import type { TaskListers } from '../listers/index.js';
import type { SelectedRef } from '../filter/tag-filter.js';
import { isDigest, type Digest } from '../ref/digest.js';
import { formatReference, type ImageRef } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { listTags, targetTags } from '../registry/listing.js';
import { headManifest } from '../registry/manifests.js';
import { Semaphore } from '../registry/transport/semaphore.js';
import { NOT_ASKED, planRepository, refKey, sourceReference, targetReference, type HeadFailure, type RepositoryPlan, type SourceHead } from './plan.js';
import { resolveMapping, type ResolvedRepository } from './resolve-mappings.js';

export interface RepositoryWork extends ResolvedRepository {
  plan?: RepositoryPlan;
  /** listing the repository's tags failed */
  error?: FailureInfo;
}

export interface FailureInfo {
  message: string;
  code?: string;
}

export interface MappingWork {
  mapping: MappingConfig;
  repositories: RepositoryWork[];
  /** resolving the mapping's repositories failed (lister error) */
  error?: FailureInfo;
}

/** Counts over a task's whole plan. */
export interface PlanTotals {
  /** selected images (everything but the filtered-out tags) */
  images: number;
  toCopy: number;
  upToDate: number;
  failed: number;
  filteredOut: number;
  pulls: number;
  /** `pulls` counts some image by guess (see RepositoryPlan.pullsEstimated) */
  pullsEstimated: boolean;
}

export interface TaskPlan extends PlanTotals {
  task: TaskConfig;
  mappings: MappingWork[];
}

/**
 * Where a streamed plan goes, piece by piece, as soon as each piece is known. `repository` may return a promise:
 * the planner holds that repository's slot until it settles, so a slow consumer (copies) bounds how far planning
 * runs ahead, and memory stays flat however many repositories a task has.
 */
export interface PlanSink {
  /** a mapping's repositories were resolved (`count`), or resolving them failed (`error`) */
  mapping(mapping: MappingConfig, resolved: { count: number } | { error: FailureInfo }): void;
  repository(work: RepositoryWork): void | Promise<void>;
}

export interface PlanTaskDeps {
  src: RegistryClient;
  dst: RegistryClient;
  listers?: TaskListers;
  /** HEAD pairs (source and target) in flight per task (default 8) */
  headConcurrency?: number;
  /** repositories listed and planned at once per task (default 8): bounds memory for tasks of thousands of repositories */
  repositoryConcurrency?: number;
  /**
   * HEAD the source for an image the target lacks (default true: `ferry plan` shows exact digests and pulls).
   * A sync run passes false: its copy GETs that manifest anyway, so the HEAD would be one request more.
   */
  askSourceForNew?: boolean;
  signal?: AbortSignal;
}

export function failureOf(e: unknown): FailureInfo {
  if (isFerryError(e)) return { message: e.message, code: e.code };
  return { message: e instanceof Error ? e.message : String(e) };
}

/**
 * Everything a task run would do, found with listings and HEADs only (no source manifest GET, so no Docker Hub
 * pull): per mapping its repositories, per repository the plan, handed to `sink` as each repository is decided.
 * Failures are recorded where they happen, so one bad mapping or tag never hides the others. Returns the totals.
 */
export async function streamTaskPlan(task: TaskConfig, deps: PlanTaskDeps, sink: PlanSink): Promise<PlanTotals> {
  const heads = new Semaphore(deps.headConcurrency ?? 8);
  const repoSlots = new Semaphore(deps.repositoryConcurrency ?? 8);
  const totals: PlanTotals = { images: 0, toCopy: 0, upToDate: 0, failed: 0, filteredOut: 0, pulls: 0, pullsEstimated: false };
  await Promise.all(
    task.mappings.map(async (mapping) => {
      let repos: ResolvedRepository[];
      try {
        repos = await resolveMapping(task, mapping, deps.listers, deps.signal);
      } catch (e) {
        if (deps.signal?.aborted) throw e;
        totals.failed++;
        sink.mapping(mapping, { error: failureOf(e) });
        return;
      }
      sink.mapping(mapping, { count: repos.length });
      await Promise.all(
        repos.map((r) =>
          repoSlots.run(async () => {
            const work = await planOne(r, deps, heads);
            const p = work.plan;
            if (p) {
              totals.images += p.actions.length - p.filteredOut;
              totals.toCopy += p.toCopy;
              totals.upToDate += p.upToDate;
              totals.failed += p.failed + p.missing;
              totals.filteredOut += p.filteredOut;
              totals.pulls += p.pulls;
              totals.pullsEstimated ||= p.pullsEstimated;
            } else totals.failed++;
            await sink.repository(work);
          }, deps.signal),
        ),
      );
    }),
  );
  return totals;
}

/** The whole plan at once (`ferry plan`): `streamTaskPlan` collected per mapping, in config order. */
export async function planTask(task: TaskConfig, deps: PlanTaskDeps): Promise<TaskPlan> {
  const byMapping = new Map<MappingConfig, MappingWork>(task.mappings.map((m) => [m, { mapping: m, repositories: [] }]));
  const totals = await streamTaskPlan(task, deps, {
    mapping(m, resolved) {
      if ('error' in resolved) byMapping.get(m)!.error = resolved.error;
    },
    repository(work) {
      byMapping.get(work.mapping)!.repositories.push(work);
    },
  });
  // repositories arrive as they are decided; print them in the order the mapping resolved them
  for (const m of byMapping.values()) m.repositories.sort((a, b) => a.order - b.order);
  return { task, mappings: [...byMapping.values()], ...totals };
}

async function planOne(r: ResolvedRepository, deps: PlanTaskDeps, heads: Semaphore): Promise<RepositoryWork> {
  const filter = r.mapping.tags;
  let listed: string[] | undefined;
  if (filter.needsTagList) {
    try {
      listed = await listTags(deps.src, r.source.repository, deps.signal);
    } catch (e) {
      if (deps.signal?.aborted) throw e;
      return { ...r, error: failureOf(e) };
    }
  }
  const refs = filter.apply(listed ?? []).refs;
  const sourceHeads = new Map<string, SourceHead | null | HeadFailure | typeof NOT_ASKED>();
  const targetDigests = new Map<string, Digest | null | HeadFailure>();
  // a failed HEAD fails only its image (recorded in the plan); an abort stops the whole plan
  const headFailure = (e: unknown): HeadFailure => {
    if (deps.signal?.aborted) throw e;
    const f = failureOf(e);
    return { error: f.message, ...(f.code ? { code: f.code } : {}) };
  };
  const headSource = (ref: SelectedRef, key: string): Promise<void> =>
    headManifest(deps.src, { repository: r.source.repository, reference: sourceReference(ref) }, 'pull', { signal: deps.signal }).then(
      (h) => void sourceHeads.set(key, h ? { ...(h.digest ? { digest: h.digest } : {}), mediaType: h.mediaType, size: h.size } : null),
      (e: unknown) => void sourceHeads.set(key, headFailure(e)),
    );
  const headTarget = (ref: SelectedRef, key: string): Promise<void> =>
    headManifest(deps.dst, { repository: r.target.repository, reference: targetReference(ref) }, 'push', { signal: deps.signal }).then(
      (t) => void targetDigests.set(key, t?.digest ?? null),
      (e: unknown) => void targetDigests.set(key, headFailure(e)),
    );
  // The target's tags, once listed: a tag it lacks needs no target HEAD. A listing says nothing about manifests
  // pushed by digest (an interrupted copy leaves its children untagged), so digest references are always asked.
  let onTarget: ReadonlySet<string> | undefined;
  const targetLacks = (ref: SelectedRef): boolean => {
    const reference = targetReference(ref);
    return onTarget !== undefined && !isDigest(reference) && !onTarget.has(reference);
  };
  const decide = async (ref: SelectedRef): Promise<void> => {
    const key = refKey(ref);
    if (!targetLacks(ref)) {
      // source and target at once: the two HEADs are independent
      await Promise.all([headSource(ref, key), headTarget(ref, key)]);
      return;
    }
    targetDigests.set(key, null);
    if (deps.askSourceForNew === false) sourceHeads.set(key, NOT_ASKED);
    else await headSource(ref, key);
  };
  if (refs.length > 0) {
    await heads.run(() => decide(refs[0]!), deps.signal);
    // The first image is missing on the target: a new repository or new tags. One listing then answers for the
    // rest (a first sync of a repository makes one request instead of a HEAD per tag), when 2 or more remain.
    if (targetDigests.get(refKey(refs[0]!)) === null && refs.length > 2) onTarget = await askTargetTags(r, deps);
  }
  // a few workers per repository take the refs in turn: no closure or promise waits per pending tag
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next < refs.length) {
      const ref = refs[next++]!;
      await heads.run(() => decide(ref), deps.signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(refs.length - 1, deps.headConcurrency ?? 8)) }, worker));
  return { ...r, plan: planRepository({ filter, listed, sourceHeads, targetDigests, platforms: r.mapping.platform }) };
}

/** The target's tags (none for a new repository); undefined when the listing failed (then every image asks by HEAD). */
async function askTargetTags(r: ResolvedRepository, deps: PlanTaskDeps): Promise<ReadonlySet<string> | undefined> {
  // a session whose listing was refused (e.g. ECR without ecr:ListImages) is not asked again
  if (deps.dst.profile.refusesTagList) return undefined;
  try {
    return await targetTags(deps.dst, r.target.repository, deps.signal);
  } catch (e) {
    if (deps.signal?.aborted) throw e;
    const f = failureOf(e);
    const refused = isRefusal(e);
    if (refused) deps.dst.profile.refusesTagList = true;
    deps.dst.logger.debug(
      { registry: deps.dst.registry, repository: r.target.repository, code: f.code },
      `cannot list the target's tags, asking per tag${refused ? ' from now on' : ''}: ${f.message}`,
    );
    return undefined;
  }
}

/** `registry/repository:tag` or `registry/repository@digest`; pass the formatted repository when describing many. */
export function describeRef(repo: ImageRef | string, reference: string): string {
  const base = typeof repo === 'string' ? repo : formatReference(repo);
  return reference.startsWith('sha256:') ? `${base}@${reference}` : `${base}:${reference}`;
}

