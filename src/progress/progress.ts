import { formatBytes, formatDuration } from '../report/summary.js';
import type { SyncEvent } from '../sync/run-events.js';
import type { RunProjection } from '../sync/run-projection.js';
import { inFlightKey, type RunState } from '../sync/run-state.js';

const REDRAW_MS = 100;
const ESC = '\u001b[';

/** A line on screen: which copy in flight it shows (its bytes are the projection's). */
interface Live {
  task: string;
  key: string;
  label: string;
}

export interface ProgressOptions {
  /** redraw at most this often (ms); default 100 */
  intervalMs?: number;
  /** treat the stream as a terminal even if it does not say so (tests) */
  forceTty?: boolean;
  now?: () => number;
}

/**
 * Live progress on a terminal: one line per image being copied (bytes moved of the total known so far),
 * redrawn in place under the log lines; a finished image leaves one permanent line. When the stream is not
 * a TTY this does nothing at all: logs stay plain lines. Returns the detach function (clears the live lines).
 * The bytes and start of each copy are the run projection's.
 */
export function attachProgress(projection: RunProjection, stream: NodeJS.WritableStream, o: ProgressOptions = {}): () => void {
  const tty = o.forceTty ?? (stream as { isTTY?: boolean }).isTTY === true;
  if (!tty) return () => {};
  const now = o.now ?? (() => projection.time());
  const live = new Map<string, Live>();
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const columns = (): number => {
    const c = (stream as { columns?: number }).columns;
    return c !== undefined && c >= 40 ? c : Number(process.env.COLUMNS) >= 40 ? Number(process.env.COLUMNS) : 120;
  };

  const clear = (): string => (drawn > 0 ? `${ESC}${drawn}F${ESC}J` : '');
  const draw = (): void => {
    timer = undefined;
    let s = clear();
    const lines = [...live.values()].map((l) => fit(line(l, projection.state, now()), columns()));
    for (const l of lines) s += `${l}\n`;
    drawn = lines.length;
    if (s) stream.write(s);
  };
  const schedule = (): void => {
    timer ??= setTimeout(draw, o.intervalMs ?? REDRAW_MS);
  };
  /** prints a permanent line above the live ones */
  const print = (text: string): void => {
    const s = clear() + fit(text, columns()) + '\n';
    drawn = 0;
    stream.write(s);
    schedule();
  };

  const off = projection.on('progress', (e: SyncEvent) => {
    switch (e.type) {
      case 'image-started': {
        const k = inFlightKey(e.mapping, e.source, e.target);
        live.set(`${e.task}\u0000${k}`, { task: e.task, key: k, label: `${e.source} → ${e.target}` });
        schedule();
        break;
      }
      case 'copy':
        if (live.has(`${e.task}\u0000${inFlightKey(e.mapping, e.source, e.target)}`)) schedule();
        break;
      case 'image-finished': {
        const r = e.report;
        const k = `${r.task}\u0000${inFlightKey(r.mapping, r.source, r.target)}`;
        if (!live.delete(k) && r.action !== 'copied' && r.action !== 'failed') break;
        const what = r.action === 'copied' ? `copied ${formatBytes(r.bytes)} in ${formatDuration(r.durationMs)}` : r.action === 'failed' ? `FAILED: ${r.reason ?? 'error'}` : r.action.replace(/-/g, ' ');
        print(`${r.action === 'failed' ? '✗' : '✓'} ${r.target}: ${what}`);
        break;
      }
      case 'task-finished':
        for (const [k, l] of [...live]) if (l.task === e.summary.task) live.delete(k);
        schedule();
        break;
      default:
        break;
    }
  });

  return () => {
    off();
    if (timer) clearTimeout(timer);
    timer = undefined;
    live.clear();
    if (drawn > 0) stream.write(clear());
    drawn = 0;
  };
}

function line(l: Live, state: RunState, now: number): string {
  const f = state.tasks.get(l.task)?.inFlight.get(l.key);
  const bytes = f?.bytes ?? 0;
  const size = f?.totalBytes ?? 0;
  const pct = size > 0 ? Math.floor((bytes / size) * 100) : 0;
  const width = 20;
  const filled = Math.round((pct / 100) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${bar} ${String(pct).padStart(3)}% ${formatBytes(bytes)} / ${formatBytes(size)} ${formatDuration(now - (f?.startedAt ?? now))}  ${l.label}`;
}

/** keeps a line within the terminal width, so redrawing never wraps */
function fit(s: string, columns: number): string {
  const chars = [...s];
  return chars.length < columns ? s : chars.slice(0, columns - 2).join('') + '…';
}
