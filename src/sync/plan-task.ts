import type { MappingConfig, TaskConfig } from '../config/types.js';
import { isFerryError } from '../errors.js';
import type { TaskListers } from '../listers/index.js';
import type { Digest } from '../ref/digest.js';
import { formatReference, type ImageRef } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { listTags } from '../registry/listing.js';
import { headManifest } from '../registry/manifests.js';
import { Semaphore } from '../registry/transport/semaphore.js';
import { planRepository, refKey, sourceReference, targetReference, type HeadFailure, type RepositoryPlan, type SourceHead } from './plan.js';
import { enginePlatforms } from './platforms.js';
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

export interface TaskPlan {
  task: TaskConfig;
  mappings: MappingWork[];
  toCopy: number;
  upToDate: number;
  failed: number;
  filteredOut: number;
  pulls: number;
}

export interface PlanTaskDeps {
  src: RegistryClient;
  dst: RegistryClient;
  listers?: TaskListers;
  /** HEAD pairs (source and target) in flight per task (default 8) */
  headConcurrency?: number;
  /** repositories listed and planned at once per task (default 8): bounds memory for tasks of thousands of repositories */
  repositoryConcurrency?: number;
  signal?: AbortSignal;
}

export function failureOf(e: unknown): FailureInfo {
  if (isFerryError(e)) return { message: e.message, code: e.code };
  return { message: e instanceof Error ? e.message : String(e) };
}

/**
 * Everything a task run would do, found with listings and HEADs only (no source manifest GET, so no Docker Hub
 * pull): per mapping its repositories, per repository the plan. Failures are recorded where they happen, so one
 * bad mapping or tag never hides the others.
 */
export async function planTask(task: TaskConfig, deps: PlanTaskDeps): Promise<TaskPlan> {
  const heads = new Semaphore(deps.headConcurrency ?? 8);
  const repoSlots = new Semaphore(deps.repositoryConcurrency ?? 8);
  const mappings = await Promise.all(
    task.mappings.map(async (mapping): Promise<MappingWork> => {
      let repos: ResolvedRepository[];
      try {
        repos = await resolveMapping(task, mapping, deps.listers, deps.signal);
      } catch (e) {
        if (deps.signal?.aborted) throw e;
        return { mapping, repositories: [], error: failureOf(e) };
      }
      const repositories = await Promise.all(repos.map((r) => repoSlots.run(() => planOne(r, deps, heads), deps.signal)));
      return { mapping, repositories };
    }),
  );
  const sum = (f: (p: RepositoryPlan) => number): number => mappings.reduce((n, m) => n + m.repositories.reduce((k, r) => k + (r.plan ? f(r.plan) : 0), 0), 0);
  const broken = mappings.reduce((n, m) => n + (m.error ? 1 : 0) + m.repositories.filter((r) => r.error).length, 0);
  return {
    task,
    mappings,
    toCopy: sum((p) => p.toCopy),
    upToDate: sum((p) => p.upToDate),
    failed: sum((p) => p.failed + p.missing) + broken,
    filteredOut: sum((p) => p.filteredOut),
    pulls: sum((p) => p.pulls),
  };
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
  const selection = filter.apply(listed ?? []);
  const sourceHeads = new Map<string, SourceHead | null | HeadFailure>();
  const targetDigests = new Map<string, Digest | null | HeadFailure>();
  await Promise.all(
    selection.refs.map((ref) =>
      heads.run(async () => {
        const key = refKey(ref);
        // source and target at once: the two HEADs are independent
        await Promise.all([
          headManifest(deps.src, r.source.repository, sourceReference(ref), { signal: deps.signal }).then(
            (h) => void sourceHeads.set(key, h ? { ...(h.digest ? { digest: h.digest } : {}), mediaType: h.mediaType, size: h.size } : null),
            (e: unknown) => {
              if (deps.signal?.aborted) throw e;
              sourceHeads.set(key, { error: failureOf(e).message, ...(isFerryError(e) ? { code: e.code } : {}) });
            },
          ),
          headManifest(deps.dst, r.target.repository, targetReference(ref), { signal: deps.signal, push: true }).then(
            (t) => void targetDigests.set(key, t?.digest ?? null),
            (e: unknown) => {
              if (deps.signal?.aborted) throw e;
              targetDigests.set(key, { error: failureOf(e).message, ...(isFerryError(e) ? { code: e.code } : {}) });
            },
          ),
        ]);
      }, deps.signal),
    ),
  );
  return { ...r, plan: planRepository({ filter, listed, sourceHeads, targetDigests, platforms: enginePlatforms(r.mapping.platform) }) };
}

export function describeRef(repo: ImageRef, reference: string): string {
  const base = formatReference(repo);
  return reference.startsWith('sha256:') ? `${base}@${reference}` : `${base}:${reference}`;
}

