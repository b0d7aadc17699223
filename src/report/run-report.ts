import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { safeText } from '../safe-text.js';
import { runCounts, type ImageAction, type ImageReport, type RunCounts, type TaskRunSummary } from '../sync/run-events.js';
import type { RunProjection } from '../sync/run-projection.js';
import { JsonArrayBlocks } from './json-array-blocks.js';
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
  /** why ferry took the action (copied: `missing on the target`, …; up to date, skipped); null when failed */
  reason: string | null;
  error: string | null;
  errorCode: string | null;
}

export interface ReportTask extends RunCounts {
  task: string;
  /** the pulls the `planned` line counted (`pulls` is what was spent); null when the run planned nothing */
  pullsPlanned: number | null;
  pullsPlannedAtLeast: boolean;
  /** the account the pulls were charged to, when the source registry lists several accounts */
  pullIdentity?: string;
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

/** Reasons and errors in the report are one line without control characters (they often quote a registry). */
const MAX_REPORT_TEXT = 4096;

export function reportImage(r: ImageReport): ReportImage {
  const failed = r.action === 'failed';
  const reason = r.reason === undefined ? undefined : safeText(r.reason, MAX_REPORT_TEXT);
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
    reason: failed ? null : (reason ?? null),
    error: failed ? (reason ?? 'failed') : null,
    errorCode: r.errorCode ?? null,
  };
}

/** A task run's fields in the report, without its images. */
export type ReportTaskHead = Omit<ReportTask, 'images'>;

export function reportTaskHead(s: TaskRunSummary): ReportTaskHead {
  return {
    task: s.task,
    startedAt: new Date(s.startedAt).toISOString(),
    finishedAt: new Date(s.finishedAt).toISOString(),
    durationMs: Math.max(0, s.finishedAt - s.startedAt),
    ok: s.ok,
    ...runCounts(s),
    pullsPlanned: s.pullsPlanned ?? null,
    pullsPlannedAtLeast: s.pullsPlannedAtLeast ?? false,
    ...(s.pullIdentity ? { pullIdentity: s.pullIdentity } : {}),
    error: s.error === undefined ? null : safeText(s.error, MAX_REPORT_TEXT),
  };
}

/** A task run as the reporter keeps it: the head, and its images as compact JSON lines in byte blocks. */
interface StoredTask {
  head: ReportTaskHead;
  images: JsonArrayBlocks;
}

const IMAGE_INDENT = '        ';

export interface RunReportOptions {
  /** the run's projection: a task run's counts are its */
  projection: RunProjection;
  /** write the JSON report here after every task run (atomically: a new 0600 temp file with a random name + rename) */
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
 * Collects `ImageReport`s per task run; at each `task-finished` logs the summary line (when asked) and rewrites
 * the report file with the latest run of every task, its counts the run projection's. Write errors are logged,
 * never thrown into the sync.
 */
export function attachRunReport(o: RunReportOptions): RunReporter {
  const now = o.now ?? Date.now;
  const pending = new Map<string, JsonArrayBlocks>();
  const done = new Map<string, StoredTask>();
  let writing: Promise<void> = Promise.resolve();

  const report = (): RunReport => {
    const tasks = [...done.values()].map((t): ReportTask => ({ ...t.head, images: t.images.values() as ReportImage[] }));
    return { version: 1, generatedAt: new Date(now()).toISOString(), ok: tasks.every((t) => t.ok), tasks };
  };

  const write = (file: string): void => {
    // a snapshot now: later task runs replace entries in `done`, not the arrays captured here
    const tasks = [...done.values()];
    const generatedAt = new Date(now()).toISOString();
    writing = writing.then(async () => {
      // A new file under a random name in the same directory ('wx': never through a planted file or symlink),
      // readable by the owner only, then renamed over the report.
      const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
      try {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(tmp, reportChunks(generatedAt, tasks), { flag: 'wx', mode: 0o600 });
        await rename(tmp, file);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        o.logger?.error({ file, err: err instanceof Error ? err.message : String(err) }, 'cannot write the run report');
      }
    });
  };

  const off = o.projection.on('run report', (e, state) => {
    if (e.type === 'task-started') pending.set(e.task, new JsonArrayBlocks(IMAGE_INDENT));
    else if (e.type === 'image-finished') {
      let l = pending.get(e.report.task);
      if (!l) pending.set(e.report.task, (l = new JsonArrayBlocks(IMAGE_INDENT)));
      l.push(reportImage(e.report));
    } else if (e.type === 'task-finished') {
      // the counts of the run as the projection has them (the same as the summary's: both count the run's events)
      const last = state.tasks.get(e.summary.task)?.lastRun;
      const s: TaskRunSummary = last ? { ...e.summary, ...runCounts(last) } : e.summary;
      done.set(s.task, { head: reportTaskHead(s), images: (pending.get(s.task) ?? new JsonArrayBlocks(IMAGE_INDENT)).finish() });
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

/** The report document, in pieces: indented like `JSON.stringify(report, null, 2)`, except one image per line. */
function* reportChunks(generatedAt: string, tasks: StoredTask[]): Generator<string | Buffer> {
  const ok = tasks.every((t) => t.head.ok);
  yield `{\n  "version": 1,\n  "generatedAt": ${JSON.stringify(generatedAt)},\n  "ok": ${ok},\n  "tasks": [`;
  for (const [ti, t] of tasks.entries()) {
    const head = JSON.stringify(t.head, null, 2).replace(/\n}$/, '').replace(/\n/g, '\n    ');
    yield `${ti > 0 ? ',' : ''}\n    ${head},\n      "images": [`;
    yield* t.images.blocks();
    yield `${t.images.count > 0 ? '\n      ' : ''}]\n    }`;
  }
  yield `${tasks.length > 0 ? '\n  ' : ''}]\n}\n`;
}
