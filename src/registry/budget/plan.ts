/**
 * How many pulls a task will spend before it copies: HEAD the source and the target (free on Docker Hub), and
 * count the manifest GETs of every image whose digest differs — one for a single-platform image; for an index,
 * one for the index plus one per child it needs (the selected platforms, else the children last seen). A HEAD says
 * that an image is an index, not how many children it has: until it is read, an index counts as at least two.
 */
import type { PlatformSelection } from '../../oci/platform.js';
import { INDEX_TYPES } from '../../oci/media-types.js';
import type { Digest } from '../../ref/digest.js';
import { formatReference, referenceOf, type ImageRef } from '../../ref/reference.js';
import type { RegistryClient } from '../client.js';
import { headManifest } from '../manifests.js';
import { Semaphore } from '../transport/semaphore.js';
import type { BudgetSnapshot } from './pull-budget.js';

export interface PlanItem {
  source: ImageRef;
  target: ImageRef;
  platforms?: PlatformSelection;
}

export interface PlannedImage {
  source: string;
  target: string;
  sourceDigest?: Digest;
  targetDigest?: Digest;
  /** true when a copy is needed (digests differ, or the source gave none) */
  differs: boolean;
  /** manifest GETs the copy needs (0 when up to date) */
  pulls: number;
  /** true when `pulls` is a floor ("at least"): an index's children are not known yet */
  estimated: boolean;
  /** the source is missing: nothing to pull */
  missing?: boolean;
}

export interface PullPlan {
  images: PlannedImage[];
  /** manifest GETs needed in all: images whose digest differs × the manifests each needs */
  pulls: number;
  upToDate: number;
}

export interface PlanOptions {
  /** children counted per index when nothing better is known (default 1: the least a copy reads) */
  assumedChildren?: number;
  /** children an index had when last copied (e.g. from the run's memo) */
  knownChildren?: (digest: Digest) => number | undefined;
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Manifest GETs one copy needs, from the source's media type and the platform selection. An undefined media type
 * (the source was not asked) counts the least the copy can need, as an estimate: the manifest itself, or an index
 * and the selected platforms.
 */
export function pullsFor(
  mediaType: string | undefined,
  platforms: PlatformSelection | undefined,
  children: number | undefined,
  assumed: number,
): { pulls: number; estimated: boolean } {
  if (mediaType === undefined) return { pulls: platforms?.kind === 'some' ? 1 + platforms.platforms.length : 1, estimated: true };
  if (!INDEX_TYPES.has(mediaType)) return { pulls: 1, estimated: false };
  if (platforms?.kind === 'some') return { pulls: 1 + platforms.platforms.length, estimated: false };
  return children === undefined ? { pulls: 1 + assumed, estimated: true } : { pulls: 1 + children, estimated: false };
}

/** HEADs every source and target (no pulls spent) and counts the pulls the copies will need. */
export async function planPulls(src: RegistryClient, dst: RegistryClient, items: readonly PlanItem[], o: PlanOptions = {}): Promise<PullPlan> {
  const limit = new Semaphore(o.concurrency ?? 8);
  const images = await Promise.all(
    items.map((it) =>
      limit.run(async (): Promise<PlannedImage> => {
        const source = formatReference(it.source);
        const target = formatReference(it.target);
        const head = await headManifest(src, { repository: it.source.repository, reference: referenceOf(it.source) }, 'pull', { signal: o.signal });
        if (!head) return { source, target, differs: false, pulls: 0, estimated: false, missing: true };
        const have = await headManifest(dst, { repository: it.target.repository, reference: it.target.tag ?? it.target.digest ?? referenceOf(it.source) }, 'push', { signal: o.signal });
        const base = { source, target, ...(head.digest ? { sourceDigest: head.digest } : {}), ...(have?.digest ? { targetDigest: have.digest } : {}) };
        // A platform-filtered copy lands under another digest: only a copy (with its memo) can tell; count it.
        const same = head.digest !== undefined && have?.digest === head.digest && it.platforms?.kind !== 'some';
        if (same) return { ...base, differs: false, pulls: 0, estimated: false };
        const children = head.digest ? o.knownChildren?.(head.digest) : undefined;
        return { ...base, differs: true, ...pullsFor(head.mediaType, it.platforms, children, o.assumedChildren ?? 1) };
      }, o.signal),
    ),
  );
  return { images, pulls: images.reduce((n, i) => n + i.pulls, 0), upToDate: images.filter((i) => !i.differs && !i.missing).length };
}

/** The log line's fields: pulls needed next to the budget left. */
export function describePlan(plan: PullPlan, budget: BudgetSnapshot | undefined): { fields: Record<string, unknown>; message: string } {
  const fields: Record<string, unknown> = { pullsNeeded: plan.pulls, images: plan.images.length, upToDate: plan.upToDate };
  const needs = `${plan.images.some((i) => i.estimated) ? 'at least ' : ''}${plan.pulls}`;
  if (plan.images.some((i) => i.estimated)) fields.pullsAtLeast = true;
  if (!budget || budget.limit === undefined) return { fields, message: `copy needs ${needs} manifest pulls (no pull limit reported)` };
  Object.assign(fields, { remaining: budget.remaining, limit: budget.limit, reserve: budget.reserve, windowSeconds: budget.windowSeconds });
  const usable = Math.max(0, (budget.remaining ?? 0) - budget.reserve);
  const tail = plan.pulls > usable ? `; ${plan.pulls - usable} will wait for the budget to refill` : '';
  return { fields, message: `copy needs ${needs} manifest pulls; ${budget.remaining ?? '?'} of ${budget.limit} left (reserve ${budget.reserve})${tail}` };
}
