import type { TaskConfig } from '../config/types.js';
import { isFerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Digest } from '../ref/digest.js';
import { withDigest, withTag, type ImageRef } from '../ref/reference.js';
import type { RegistryClient } from '../registry/client.js';
import { Semaphore } from '../registry/transport/semaphore.js';
import type { Clock } from '../scheduler/clock.js';
import type { BlobTransfers } from './blob-transfers.js';
import { copyImage, type DigestMemo } from './copy-image.js';
import type { CopyEvent } from './events.js';
import type { PlannedAction } from './plan.js';
import { describeRef, failureOf, planTask, type TaskPlan } from './plan-task.js';
import { enginePlatforms } from './platforms.js';
import type { RegistryPool } from './registry-pool.js';
import { budgetSnapshot, type BudgetSnapshot, type ImageReport, type SyncEventBus, type TaskRunSummary } from './run-events.js';
import type { TaskListers } from '../listers/index.js';

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
 * One run of a task: plan with listings and HEADs, log and emit the plan (pulls needed next to the budget left),
 * then copy what differs, several images at a time. Every selected or filtered-out tag gets exactly one log line
 * saying what was decided and why; the run ends with one summary line. A failing image never stops the others.
 */
export async function runTask(task: TaskConfig, deps: TaskRunnerDeps, signal?: AbortSignal): Promise<TaskRunSummary> {
  const { bus, clock } = deps;
  const log = deps.logger.child({ task: task.name });
  const startedAt = clock.now();
  const summary: TaskRunSummary = { task: task.name, startedAt, finishedAt: startedAt, copied: 0, upToDate: 0, failed: 0, skipped: 0, bytes: 0, pulls: 0, ok: true };
  bus.emit({ type: 'task-started', task: task.name, at: startedAt });
  log.info({ source: task.source.registry, target: task.target.registry }, 'syncing task');
  let filteredOut = 0;
  try {
    const [src, dst] = await Promise.all([deps.pool.client(task.source), deps.pool.client(task.target)]);
    const plan = await planTask(task, { src, dst, ...(deps.listers ? { listers: deps.listers } : {}), ...(signal ? { signal } : {}) });
    filteredOut = plan.filteredOut;
    announcePlan(task, plan, deps, src, log);
    await execute(task, plan, deps, src, dst, summary, log, signal);
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
  summary.finishedAt = clock.now();
  if (summary.failed > 0) summary.ok = false;
  const fields = { copied: summary.copied, upToDate: summary.upToDate, failed: summary.failed, skipped: summary.skipped, filteredOut, bytes: summary.bytes, pulls: summary.pulls, durationMs: summary.finishedAt - startedAt };
  if (summary.ok) log.info(fields, `task done: ${summary.copied} copied, ${summary.upToDate} up to date, ${summary.failed} failed`);
  else log.error(fields, `task had errors: ${summary.copied} copied, ${summary.upToDate} up to date, ${summary.failed} failed`);
  bus.emit({ type: 'task-finished', summary });
  return summary;
}

function announcePlan(task: TaskConfig, plan: TaskPlan, deps: TaskRunnerDeps, src: RegistryClient, log: Logger): void {
  const images = plan.mappings.reduce((n, m) => n + m.repositories.reduce((k, r) => k + (r.plan ? r.plan.actions.filter((a) => a.kind !== 'filtered-out').length : 0), 0), 0);
  const snap = deps.pool.budget.state(src.registry, deps.pool.identity(task.source));
  const budget: BudgetSnapshot | undefined = snap && budgetSnapshot(snap);
  deps.bus.emit({ type: 'task-planned', task: task.name, images, toCopy: plan.toCopy, pullsNeeded: plan.pulls, ...(budget ? { budget } : {}) });
  const left = budget?.limit !== undefined ? `; ${budget.remaining ?? '?'} of ${budget.limit} pulls left (reserve ${budget.reserve})` : '';
  log.info(
    { images, toCopy: plan.toCopy, upToDate: plan.upToDate, filteredOut: plan.filteredOut, pullsNeeded: plan.pulls, ...(budget ? { pullsRemaining: budget.remaining, pullLimit: budget.limit } : {}) },
    `planned: ${plan.toCopy} of ${images} images to copy, needing ${plan.pulls} manifest pulls${left}`,
  );
}

async function execute(
  task: TaskConfig,
  plan: TaskPlan,
  deps: TaskRunnerDeps,
  src: RegistryClient,
  dst: RegistryClient,
  summary: TaskRunSummary,
  log: Logger,
  signal: AbortSignal | undefined,
): Promise<void> {
  const limit = new Semaphore(deps.imageConcurrency ?? 4);
  const jobs: Promise<void>[] = [];
  const finish = (report: ImageReport, fields: Record<string, unknown>, message: string, level: 'info' | 'error' | 'warn' = 'info'): void => {
    if (report.action === 'copied') summary.copied++;
    else if (report.action === 'up-to-date') summary.upToDate++;
    else if (report.action === 'failed') summary.failed++;
    else summary.skipped++;
    summary.bytes += report.bytes;
    summary.pulls += report.pulls;
    log[level]({ source: report.source, target: report.target, ...fields }, message);
    deps.bus.emit({ type: 'image-finished', report });
  };
  plan.mappings.forEach((m, mi) => {
    const mapping = m.mapping.index;
    log.info({ from: m.mapping.from.kind === 'plain' ? m.mapping.from.repository : `regex:${m.mapping.from.matcher.pattern}`, repositories: m.repositories.length }, 'mapping');
    if (m.error) {
      summary.failed++;
      log.error({ mapping: mi, code: m.error.code }, `mapping failed: cannot list the source's repositories: ${m.error.message}`);
      return;
    }
    for (const r of m.repositories) {
      if (r.error || !r.plan) {
        summary.failed++;
        log.error({ repository: r.source.repository, code: r.error?.code }, `repository failed: cannot list its tags: ${r.error?.message ?? 'unknown error'}`);
        continue;
      }
      for (const a of r.plan.actions) {
        const base = { task: task.name, mapping, bytes: 0, durationMs: 0, pulls: 0 };
        if (a.kind === 'filtered-out') {
          log.info({ source: describeRef(r.source, a.tag), tag: a.tag, reason: a.reason }, `filtered out: ${a.reason}`);
          continue;
        }
        const source = describeRef(r.source, a.ref.kind === 'tag' ? a.ref.tag : a.ref.digest);
        const targetReference = a.ref.kind === 'tag' ? a.ref.tag : (a.ref.tag ?? a.ref.digest);
        const target = describeRef(r.target, targetReference);
        if (a.kind === 'up-to-date') {
          finish({ ...base, source, target, action: 'up-to-date', reason: a.reason, sourceDigest: a.digest, targetDigest: a.digest }, { digest: a.digest }, 'already up to date');
        } else if (a.kind === 'missing' || a.kind === 'failed') {
          const code = a.kind === 'missing' ? 'NOT_FOUND' : a.code;
          finish({ ...base, source, target, action: 'failed', reason: a.reason, ...(code ? { errorCode: code } : {}) }, { code }, `failed: ${a.reason}`, 'error');
        } else {
          jobs.push(limit.run(() => copyOne(task, a, r.source, r.target, source, target, base, deps, src, dst, finish, signal), signal).catch(() => undefined));
        }
      }
    }
  });
  await Promise.all(jobs);
}

async function copyOne(
  task: TaskConfig,
  a: Extract<PlannedAction, { kind: 'copy' }>,
  srcRepo: ImageRef,
  dstRepo: ImageRef,
  source: string,
  target: string,
  base: { task: string; mapping: number; bytes: number; durationMs: number; pulls: number },
  deps: TaskRunnerDeps,
  src: RegistryClient,
  dst: RegistryClient,
  finish: (report: ImageReport, fields: Record<string, unknown>, message: string, level?: 'info' | 'error' | 'warn') => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const mapping = task.mappings.find((m) => m.index === base.mapping);
  const srcRef = a.ref.kind === 'tag' ? withTag(srcRepo, a.ref.tag) : withDigest(srcRepo, a.ref.digest as Digest);
  const dstRef = a.ref.kind === 'tag' ? withTag(dstRepo, a.ref.tag) : a.ref.tag ? withTag(dstRepo, a.ref.tag) : withDigest(dstRepo, a.ref.digest as Digest);
  deps.bus.emit({ type: 'image-started', task: task.name, source, target });
  const blobLog = deps.logger.child({ task: task.name, target });
  const events = (event: CopyEvent): void => {
    deps.bus.emit({ type: 'copy', task: task.name, source, target, event });
    if (event.type === 'blob-done') {
      const f = { digest: event.digest, size: event.size, outcome: event.outcome, ...(event.from ? { from: event.from } : {}), bytes: event.bytes, durationMs: event.durationMs };
      if (task.verbose) blobLog.info(f, `blob ${event.outcome}`);
      else blobLog.debug(f, `blob ${event.outcome}`);
    } else if (event.type === 'blob-retry' && task.verbose) blobLog.warn({ digest: event.digest, attempt: event.attempt }, `blob retry: ${event.error}`);
  };
  const started = deps.clock.now();
  try {
    const r = await copyImage(src, srcRef, dst, dstRef, {
      platforms: enginePlatforms(mapping?.platform ?? 'all'),
      transfers: deps.transfers,
      memo: deps.memo,
      events,
      // the plan's HEADs are seconds old: do not ask the registries again
      ...(a.sourceDigest ? { known: { sourceDigest: a.sourceDigest, targetDigest: a.targetDigest ?? null } } : {}),
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
      finish({ ...base, source, target, action: 'skipped', reason: 'stopped before the copy finished (the tag was not written)', durationMs }, {}, 'stopped: the copy was aborted before the tag was written', 'warn');
      return;
    }
    const code = isFerryError(e) ? e.code : undefined;
    finish({ ...base, source, target, action: 'failed', reason: f.message, durationMs, ...(code ? { errorCode: code } : {}) }, { code }, `failed: ${f.message}`, 'error');
  }
}
