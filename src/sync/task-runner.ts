import type { MappingConfig, TaskConfig } from '../config/types.js';
import { isFerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Digest } from '../ref/digest.js';
import { formatReference, withDigest, withTag } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import type { Clock } from '../clock.js';
import type { BlobTransfers } from './blob-transfers.js';
import { SlowBlobs } from './slow-blobs.js';
import { copyImage, type DigestMemo } from './copy-image.js';
import type { CopyEvent } from './events.js';
import type { PlannedAction } from './plan.js';
import { describeRef, failureOf, streamTaskPlan, type FailureInfo, type PlanTotals, type RepositoryWork } from './plan-task.js';
import type { RegistryPool } from './registry-pool.js';
import type { BudgetSnapshot } from '../registry/budget/budget-state.js';
import { runCounts, type ImageReport, type SyncEvent, type SyncEventBus, type TaskRunSummary } from './run-events.js';
import { reduceRun } from './run-projection.js';
import { emptyRunState, type RunInProgress } from './run-state.js';
import type { TaskListers } from '../listers/index.js';
import { WorkQueue } from './work-queue.js';
import { PullTally, type TallyEntry } from './pull-tally.js';

export interface TaskRunnerDeps {
  pool: RegistryPool;
  /** the task's listers (per task, cached across runs until the config is reloaded) */
  listers?: TaskListers;
  /** one per process run: blobs transfer once and mount across repositories and tasks */
  transfers: BlobTransfers;
  memo: DigestMemo;
  bus: SyncEventBus;
  logger: Logger;
  clock: Clock;
  /** images copied in parallel per task (default 4) */
  imageConcurrency?: number;
}

/**
 * One run of a task, streamed: each repository is planned with a listing and HEADs, and what it decides is acted
 * on at once (up-to-date and failed images logged, copies queued, `imageConcurrency` at a time) while the next
 * repositories are still being planned; the planner waits while the copy queue is full, so memory stays flat for
 * tasks of any size. When planning ends, one `planned` line gives the totals (pulls needed next to the budget
 * left). Every selected or filtered-out tag gets exactly one log line saying what was decided and why; the run's
 * summary line is the run log's (run-log.ts). A failing image never stops the others. The summary's counts are
 * the run projection's (run-projection.ts) of the events this run emitted.
 */
export async function runTask(task: TaskConfig, deps: TaskRunnerDeps, signal?: AbortSignal): Promise<TaskRunSummary> {
  const { clock } = deps;
  const log = deps.logger.child({ task: task.name });
  const startedAt = clock.now();
  const summary: TaskRunSummary = { task: task.name, startedAt, finishedAt: startedAt, copied: 0, upToDate: 0, failed: 0, skipped: 0, bytes: 0, pulls: 0, ok: true };
  // this run's own projection: what it emits is what it counts
  const state = emptyRunState();
  const emit = (e: SyncEvent): void => {
    reduceRun(state, e, clock.now());
    deps.bus.emit(e);
  };
  emit({ type: 'task-started', task: task.name, at: startedAt });
  const thisRun = state.tasks.get(task.name)?.current as RunInProgress;
  log.info({ source: task.source.registry, target: task.target.registry }, 'syncing task');
  const concurrency = deps.imageConcurrency ?? 4;
  const copies = new WorkQueue(concurrency);
  // cleared when planning ends, normally or not: a repository still being planned after an abort must not
  // report its images after the task summary
  let planning = true;
  const tally = new PullTally();
  let announced: { pulls: number; atLeast: boolean } | undefined;
  try {
    const [src, dst] = await Promise.all([deps.pool.choose(task.source), deps.pool.client(task.target)]);
    if (deps.pool.pooled(task.source)) summary.pullIdentity = deps.pool.identity(src);
    const run: RunContext = { task, deps, emit, src, dst, thisRun, log, signal, copies, finish: finisher(log, emit), tally, announced: false, slowBlobs: new SlowBlobs() };
    // the copy reads a manifest the target lacks anyway: no source HEAD for it first
    const planDeps = { src, dst, askSourceForNew: false, ...(deps.listers ? { listers: deps.listers } : {}), ...(signal ? { signal } : {}) };
    const totals = await streamTaskPlan(task, planDeps, {
      mapping: (mapping, resolved) => mappingResolved(run, mapping, resolved),
      repository: (work) => (planning ? dispatchRepository(run, work) : undefined),
    });
    announced = announcePlan(run, totals);
  } catch (e) {
    const f = failureOf(e);
    if (signal?.aborted) {
      summary.error = 'stopped';
      log.warn({}, 'task run stopped');
    } else {
      summary.ok = false;
      summary.error = f.message;
      log.error({ code: f.code }, `task failed: ${f.message}`);
    }
  }
  planning = false;
  await copies.drain();
  summary.finishedAt = clock.now();
  Object.assign(summary, runCounts(thisRun.counts), { filteredOut: thisRun.filteredOut });
  if (summary.failed > 0) summary.ok = false;
  // the count the `planned` line gave (the tally now holds what was spent), to set next to the pulls spent
  const planned = announced ?? { pulls: tally.planned, atLeast: tally.atLeast };
  summary.pullsPlanned = planned.pulls;
  if (planned.atLeast) summary.pullsPlannedAtLeast = true;
  emit({ type: 'task-finished', summary });
  return summary;
}

/** What one task run shares between the planner's callbacks and the copies. */
interface RunContext {
  task: TaskConfig;
  deps: TaskRunnerDeps;
  /** to the bus, through this run's projection */
  emit: (e: SyncEvent) => void;
  src: RegistryClient;
  dst: RegistryClient;
  /** this run as its projection counts it */
  thisRun: RunInProgress;
  log: Logger;
  signal: AbortSignal | undefined;
  copies: WorkQueue;
  /** records an image's outcome: its log line, the image-finished event */
  finish: Finish;
  /** pulls planned (corrected as manifests are read) */
  tally: PullTally;
  /** the `planned` line is out: corrections go to the bus as `task-pulls` */
  announced: boolean;
  /** blobs too slow twice in this run: later images needing them fail at once; the next run tries again */
  slowBlobs: SlowBlobs;
}

/** A copy's count of pulls changed: once the plan is announced, the status page hears of it. */
function revised(run: RunContext): void {
  if (run.announced) run.emit({ type: 'task-pulls', task: run.task.name, pullsNeeded: run.tally.planned, ...(run.tally.atLeast ? { pullsEstimated: true } : {}) });
}

type Finish = (report: ImageReport, fields: Record<string, unknown>, message: string, level?: 'info' | 'error' | 'warn') => void;

function finisher(log: Logger, emit: (e: SyncEvent) => void): Finish {
  return (report, fields, message, level = 'info') => {
    log[level]({ source: report.source, target: report.target, ...fields }, message);
    emit({ type: 'image-finished', report });
  };
}

/**
 * The `planned` line and event. Its pulls are the plan's, corrected by the copies that have read their manifests
 * since (copies start while planning goes on); "at least" while some index is still counted by its floor.
 */
function announcePlan(run: RunContext, totals: PlanTotals): { pulls: number; atLeast: boolean } {
  const { task, deps, src, log, tally } = run;
  const identity = deps.pool.identity(src);
  const budget: BudgetSnapshot | undefined = deps.pool.budget.state(src.registry, identity);
  const pulls = tally.planned;
  run.emit({ type: 'task-planned', task: task.name, images: totals.images, toCopy: totals.toCopy, pullsNeeded: pulls, ...(tally.atLeast ? { pullsEstimated: true } : {}), filteredOut: totals.filteredOut, ...(budget ? { budget } : {}) });
  run.announced = true;
  const left = budget?.limit !== undefined ? `; ${budget.remaining ?? '?'} of ${budget.limit} pulls left (reserve ${budget.reserve})` : '';
  log.info(
    { identity, images: totals.images, toCopy: totals.toCopy, upToDate: totals.upToDate, filteredOut: totals.filteredOut, pullsNeeded: pulls, pullsEstimated: tally.atLeast, pullsSpent: run.thisRun.counts.pulls, ...(budget ? { pullsRemaining: budget.remaining, pullLimit: budget.limit } : {}) },
    `planned: ${totals.toCopy} of ${totals.images} images to copy, needing ${tally.atLeast ? 'at least ' : ''}${pulls} manifest pulls${deps.pool.pooled(task.source) ? ` as ${identity}` : ''}${left}`,
  );
  return { pulls, atLeast: tally.atLeast };
}

function mappingResolved(run: RunContext, m: MappingConfig, resolved: { count: number } | { error: FailureInfo }): void {
  const from = m.from.kind === 'plain' ? m.from.repository : `regex:${m.from.matcher.pattern}`;
  if ('error' in resolved) {
    run.emit({ type: 'listing-failed', task: run.task.name, mapping: m.index, what: 'mapping', source: from, error: resolved.error.message, ...(resolved.error.code ? { code: resolved.error.code } : {}) });
    run.log.error({ mapping: m.index, from, code: resolved.error.code }, `mapping failed: cannot list the source's repositories: ${resolved.error.message}`);
  } else run.log.info({ mapping: m.index, from, repositories: resolved.count }, 'mapping');
}

/** Acts on one repository's plan: logs what needs no copy, queues the copies (waiting while the queue is full). */
async function dispatchRepository(run: RunContext, r: RepositoryWork): Promise<void> {
  const { task, log, finish } = run;
  if (r.error || !r.plan) {
    const code = r.error?.code;
    run.emit({ type: 'listing-failed', task: task.name, mapping: r.mapping.index, what: 'repository', source: formatReference(r.source), error: r.error?.message ?? 'unknown error', ...(code ? { code } : {}) });
    log.error({ repository: r.source.repository, code: r.error?.code }, `repository failed: cannot list its tags: ${r.error?.message ?? 'unknown error'}`);
    return;
  }
  const mapping = r.mapping.index;
  const sourceName = formatReference(r.source);
  const targetName = formatReference(r.target);
  for (const a of r.plan.actions) {
    const base = { task: task.name, mapping, bytes: 0, durationMs: 0, pulls: 0 };
    if (a.kind === 'filtered-out') {
      log.info({ source: describeRef(sourceName, a.tag), tag: a.tag, reason: a.reason }, `filtered out: ${a.reason}`);
      continue;
    }
    const source = describeRef(sourceName, a.ref.kind === 'tag' ? a.ref.tag : a.ref.digest);
    const targetReference = a.ref.kind === 'tag' ? a.ref.tag : (a.ref.tag ?? a.ref.digest);
    const target = describeRef(targetName, targetReference);
    if (a.kind === 'up-to-date') {
      finish({ ...base, source, target, action: 'up-to-date', reason: a.reason, sourceDigest: a.digest, targetDigest: a.digest }, { digest: a.digest }, 'already up to date');
    } else if (a.kind === 'missing' || a.kind === 'failed') {
      const code = a.kind === 'missing' ? 'NOT_FOUND' : a.code;
      finish({ ...base, source, target, action: 'failed', reason: a.reason, ...(code ? { errorCode: code } : {}) }, { code }, `failed: ${a.reason}`, 'error');
    } else {
      const entry = run.tally.add(a.pulls, a.estimated);
      await run.copies.push(() => copyOne(a, r, source, target, base, run, entry), run.signal);
    }
  }
}

async function copyOne(
  a: Extract<PlannedAction, { kind: 'copy' }>,
  r: RepositoryWork,
  source: string,
  target: string,
  base: { task: string; mapping: number; bytes: number; durationMs: number; pulls: number },
  run: RunContext,
  entry: TallyEntry,
): Promise<void> {
  const { task, deps, src, dst, signal, tally } = run;
  const finish: Finish = (report, ...rest) => {
    if (tally.settle(entry, report.pulls)) revised(run);
    run.finish(report, ...rest);
  };
  const srcRepo = r.source;
  const dstRepo = r.target;
  const mapping = r.mapping;
  const srcRef = a.ref.kind === 'tag' ? withTag(srcRepo, a.ref.tag) : withDigest(srcRepo, a.ref.digest as Digest);
  const dstRef = a.ref.kind === 'tag' ? withTag(dstRepo, a.ref.tag) : a.ref.tag ? withTag(dstRepo, a.ref.tag) : withDigest(dstRepo, a.ref.digest as Digest);
  run.emit({ type: 'image-started', task: task.name, mapping: mapping.index, source, target });
  const blobLog = deps.logger.child({ task: task.name, target });
  // source manifest GETs so far: a copy that fails or is stopped has spent them too (Docker Hub counted them)
  let gets = 0;
  const events = (event: CopyEvent): void => {
    run.emit({ type: 'copy', task: task.name, mapping: mapping.index, source, target, event });
    if (event.type === 'manifest-fetched') gets++;
    else if (event.type === 'pulls-known') {
      if (tally.known(entry, event.pulls)) revised(run);
    } else if (event.type === 'blob-done') {
      const f = { digest: event.digest, size: event.size, outcome: event.outcome, ...(event.from ? { from: event.from } : {}), bytes: event.bytes, durationMs: event.durationMs };
      if (task.verbose) blobLog.info(f, `blob ${event.outcome}`);
      else blobLog.debug(f, `blob ${event.outcome}`);
    } else if (event.type === 'blob-retry' && task.verbose) blobLog.warn({ digest: event.digest, attempt: event.attempt }, `blob retry: ${event.error}`);
  };
  const started = deps.clock.now();
  try {
    const r = await copyImage(src, srcRef, dst, dstRef, {
      platforms: mapping.platform,
      transfers: deps.transfers,
      slowBlobs: run.slowBlobs,
      memo: deps.memo,
      events,
      // the plan's answers are seconds old: do not ask the registries again (no source digest: read it by reference)
      known: {
        source: a.sourceDigest ? { state: 'at', digest: a.sourceDigest } : { state: 'by-reference' },
        target: a.targetDigest ? { state: 'at', digest: a.targetDigest } : { state: 'absent' },
      },
      logger: blobLog,
      ...(signal ? { signal } : {}),
    });
    const report: ImageReport = {
      ...base,
      source,
      target,
      action: r.action,
      reason: r.action === 'copied' ? a.reason : 'already up to date: the target has the selected image',
      ...(r.sourceDigest ? { sourceDigest: r.sourceDigest } : {}),
      targetDigest: r.targetDigest,
      bytes: r.bytes,
      durationMs: r.durationMs,
      pulls: r.manifestGets,
    };
    if (r.action === 'copied') {
      finish(report, { digest: r.targetDigest, bytes: r.bytes, blobs: r.blobs, pulls: r.manifestGets, durationMs: r.durationMs }, `copied: ${a.reason}`);
    } else finish(report, { digest: r.targetDigest }, 'already up to date');
  } catch (e) {
    const f = failureOf(e);
    const durationMs = deps.clock.now() - started;
    if (signal?.aborted) {
      finish({ ...base, source, target, action: 'skipped', reason: 'stopped before the copy finished (the tag was not written)', durationMs, pulls: gets }, {}, 'stopped: the copy was aborted before the tag was written', 'warn');
      return;
    }
    const code = isFerryError(e) ? e.code : undefined;
    finish({ ...base, source, target, action: 'failed', reason: f.message, durationMs, pulls: gets, ...(code ? { errorCode: code } : {}) }, { code }, `failed: ${f.message}`, 'error');
  }
}
