import type { TaskRunSummary } from '../sync/run-events.js';

/** `1.5 MB`-style sizes (SI, as registries and Docker show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The one-line summary logged after each task run:
 * `task hub: 3 copied, 12 up to date, 1 failed, 2 skipped, 48.2 MB, 1m05s, 6 pulls (planned: at least 4)`: the
 * pulls spent, and what the `planned` line counted ("at least" while some index was not read yet).
 */
function pullsPart(s: TaskRunSummary): string {
  const spent = `${s.pulls} ${s.pulls === 1 ? 'pull' : 'pulls'}${s.pullIdentity ? ` as ${s.pullIdentity}` : ''}`;
  return s.pullsPlanned === undefined ? spent : `${spent} (planned: ${s.pullsPlannedAtLeast ? 'at least ' : ''}${s.pullsPlanned})`;
}

/**
 * The one-line summary logged after each task run: counts, bytes, duration and {@link pullsPart}.
 */
export function formatTaskSummary(s: TaskRunSummary): string {
  const parts = [`${s.copied} copied`, `${s.upToDate} up to date`, `${s.failed} failed`];
  if (s.skipped > 0) parts.push(`${s.skipped} skipped`);
  parts.push(formatBytes(s.bytes), formatDuration(Math.max(0, s.finishedAt - s.startedAt)), pullsPart(s));
  const line = `task ${s.task}: ${parts.join(', ')}`;
  return s.error ? `${line}; ${s.error}` : line;
}

/** The fields logged with the summary line (for LOG_FORMAT=json). */
export function summaryFields(s: TaskRunSummary): Record<string, unknown> {
  return {
    task: s.task,
    copied: s.copied,
    upToDate: s.upToDate,
    failed: s.failed,
    skipped: s.skipped,
    bytes: s.bytes,
    durationMs: Math.max(0, s.finishedAt - s.startedAt),
    pulls: s.pulls,
    ...(s.pullsPlanned !== undefined ? { pullsPlanned: s.pullsPlanned } : {}),
    ...(s.pullsPlannedAtLeast ? { pullsPlannedAtLeast: true } : {}),
    ...(s.pullIdentity ? { pullIdentity: s.pullIdentity } : {}),
    ok: s.ok,
    ...(s.error ? { error: s.error } : {}),
  };
}
