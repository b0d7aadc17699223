import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { runCounts, type ImageAction, type ImageReport, type RunCounts, type SyncEventBus, type TaskRunSummary } from '../sync/run-events.js';
import { formatTaskSummary, summaryFields } from './summary.js';

/** One image in the `--report` file. */
export interface ReportImage {
  task: string;
  mapping: number;
  source: string;
  target: string;
  /** the digest the target holds (or would hold) after the run; the source digest when nothing reached the target */
  digest: string | null;
  sourceDigest: string | null;
  action: ImageAction;
  bytes: number;
  durationMs: number;
  pulls: number;
  /** why the image was skipped or is waiting, or the error; null when copied or up to date */
  reason: string | null;
  error: string | null;
  errorCode: string | null;
}

export interface ReportTask extends RunCounts {
  task: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  error: string | null;
  images: ReportImage[];
}

/** The `--report FILE` document: the latest run of every task seen so far. */
export interface RunReport {
  version: 1;
  generatedAt: string;
  ok: boolean;
  tasks: ReportTask[];
}

export function reportImage(r: ImageReport): ReportImage {
  const failed = r.action === 'failed';
  return {
    task: r.task,
    mapping: r.mapping,
    source: r.source,
    target: r.target,
    digest: r.targetDigest ?? r.sourceDigest ?? null,
    sourceDigest: r.sourceDigest ?? null,
    action: r.action,
    bytes: r.bytes,
    durationMs: r.durationMs,
    pulls: r.pulls,
    reason: failed ? null : (r.reason ?? null),
    error: failed ? (r.reason ?? 'failed') : null,
    errorCode: r.errorCode ?? null,
  };
}

export function reportTask(s: TaskRunSummary, images: ImageReport[]): ReportTask {
  return {
    task: s.task,
    startedAt: new Date(s.startedAt).toISOString(),
    finishedAt: new Date(s.finishedAt).toISOString(),
    durationMs: Math.max(0, s.finishedAt - s.startedAt),
    ok: s.ok,
    ...runCounts(s),
    error: s.error ?? null,
    images: images.map(reportImage),
  };
}

export interface RunReportOptions {
  bus: SyncEventBus;
  /** write the JSON report here after every task run (atomically: temp file + rename) */
  file?: string;
  /** for write errors, and the summary lines when `logSummaries` is set */
  logger?: Logger;
  /** log the one-line summary of every task run at info (warn when it failed); off by default (the runner logs its own) */
  logSummaries?: boolean;
  now?: () => number;
}

export interface RunReporter {
  /** the report as it stands */
  report(): RunReport;
  /** resolves when every write started so far has finished (call before exiting) */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Collects `ImageReport`s per task run; at each `task-finished` logs the summary line and rewrites the report
 * file with the latest run of every task. Write errors are logged, never thrown into the sync.
 */
export function attachRunReport(o: RunReportOptions): RunReporter {
  const now = o.now ?? Date.now;
  const pending = new Map<string, ImageReport[]>();
  const done = new Map<string, ReportTask>();
  let writing: Promise<void> = Promise.resolve();

  const report = (): RunReport => {
    const tasks = [...done.values()];
    return { version: 1, generatedAt: new Date(now()).toISOString(), ok: tasks.every((t) => t.ok), tasks };
  };

  const write = (file: string): void => {
    const body = JSON.stringify(report(), null, 2) + '\n';
    writing = writing.then(async () => {
      try {
        await mkdir(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, body);
        await rename(tmp, file);
      } catch (err) {
        o.logger?.error({ file, err: err instanceof Error ? err.message : String(err) }, 'cannot write the run report');
      }
    });
  };

  const off = o.bus.on((e) => {
    if (e.type === 'task-started') pending.set(e.task, []);
    else if (e.type === 'image-finished') {
      let l = pending.get(e.report.task);
      if (!l) pending.set(e.report.task, (l = []));
      l.push(e.report);
    } else if (e.type === 'task-finished') {
      const s = e.summary;
      done.set(s.task, reportTask(s, pending.get(s.task) ?? []));
      pending.delete(s.task);
      if (o.logger && o.logSummaries) (s.ok ? o.logger.info : o.logger.warn).call(o.logger, summaryFields(s), formatTaskSummary(s));
      if (o.file) write(o.file);
    }
  });

  return {
    report,
    flush: () => writing,
    close: async () => {
      off();
      await writing;
    },
  };
}
