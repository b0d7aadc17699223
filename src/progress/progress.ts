import { formatBytes, formatDuration } from '../report/summary.js';
import type { SyncEvent, SyncEventBus } from '../sync/run-events.js';

const REDRAW_MS = 100;
const ESC = '\u001b[';

interface Live {
  label: string;
  startedAt: number;
  blobs: Map<string, { bytes: number; size: number }>;
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
 */
export function attachProgress(bus: SyncEventBus, stream: NodeJS.WritableStream, o: ProgressOptions = {}): () => void {
  const tty = o.forceTty ?? (stream as { isTTY?: boolean }).isTTY === true;
  if (!tty) return () => {};
  const now = o.now ?? Date.now;
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
    const lines = [...live.values()].map((l) => fit(line(l, now()), columns()));
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

  const off = bus.on((e: SyncEvent) => {
    switch (e.type) {
      case 'image-started':
        live.set(key(e.task, e.source, e.target), { label: `${e.source} → ${e.target}`, startedAt: now(), blobs: new Map() });
        schedule();
        break;
      case 'copy': {
        const l = live.get(key(e.task, e.source, e.target));
        const ev = e.event;
        if (!l) break;
        if (ev.type === 'blob-started') l.blobs.set(ev.digest, { bytes: 0, size: ev.size });
        else if (ev.type === 'blob-progress') l.blobs.set(ev.digest, { bytes: ev.bytes, size: ev.size });
        else if (ev.type === 'blob-done') l.blobs.set(ev.digest, { bytes: ev.size, size: ev.size });
        else break;
        schedule();
        break;
      }
      case 'image-finished': {
        const r = e.report;
        const k = key(r.task, r.source, r.target);
        if (!live.delete(k) && r.action !== 'copied' && r.action !== 'failed') break;
        const what = r.action === 'copied' ? `copied ${formatBytes(r.bytes)} in ${formatDuration(r.durationMs)}` : r.action === 'failed' ? `FAILED: ${r.reason ?? 'error'}` : r.action.replace(/-/g, ' ');
        print(`${r.action === 'failed' ? '✗' : '✓'} ${r.target}: ${what}`);
        break;
      }
      case 'task-finished':
        for (const k of [...live.keys()]) if (k.startsWith(`${e.summary.task}\u0000`)) live.delete(k);
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

function line(l: Live, now: number): string {
  let bytes = 0;
  let size = 0;
  for (const b of l.blobs.values()) {
    bytes += b.bytes;
    size += b.size;
  }
  const pct = size > 0 ? Math.floor((bytes / size) * 100) : 0;
  const width = 20;
  const filled = Math.round((pct / 100) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${bar} ${String(pct).padStart(3)}% ${formatBytes(bytes)} / ${formatBytes(size)} ${formatDuration(now - l.startedAt)}  ${l.label}`;
}

/** keeps a line within the terminal width, so redrawing never wraps */
function fit(s: string, columns: number): string {
  const chars = [...s];
  return chars.length < columns ? s : chars.slice(0, columns - 2).join('') + '…';
}

function key(task: string, source: string, target: string): string {
  return `${task}\u0000${source}\u0000${target}`;
}
