import { setFlagsFromString } from 'node:v8';

/** Old-generation growth after each full GC, in percent, unless FERRY_HEAP_GROWTH_PERCENT says otherwise. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 50;

/** The growth while blob bytes stream (see followTransfers). */
export const TRANSFER_HEAP_GROWTH_PERCENT = 200;

type SetFlags = (flags: string) => void;

/**
 * Garbage-collector policy for the ferry process (the CLI and the container; never the library, whose host
 * owns its heap). ferry keeps little alive — the config, the blob registry of the run, a few hundred bytes per
 * image in the report — and produces short-lived garbage at a high rate (every HEAD). V8's default lets the
 * old generation grow to several times what survived the last full GC on a machine with memory to spare: for
 * a daemon whose live heap is small, that is mostly garbage held for nothing, and more when the registries keep
 * both cores busy and marking falls behind. Capping the growth at 1.5× (Go's GOGC=50, in effect) keeps a
 * daemon's footprint tracking its live data (docs/benchmarks.md, "Scale", has the measured peaks).
 * Returns the percentage applied, or undefined.
 *
 * FERRY_HEAP_GROWTH_PERCENT: 1–400 to choose, 0 to leave V8's own policy. Either way the choice then holds
 * for the whole process: followTransfers switches only the default.
 */
export function tuneHeap(env: NodeJS.ProcessEnv = process.env, set: SetFlags = setFlagsFromString): number | undefined {
  const raw = env.FERRY_HEAP_GROWTH_PERCENT?.trim();
  let percent = DEFAULT_HEAP_GROWTH_PERCENT;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 400) {
      process.emitWarning(`FERRY_HEAP_GROWTH_PERCENT=${raw} is not a whole number from 0 to 400; using ${DEFAULT_HEAP_GROWTH_PERCENT}`);
    } else percent = n;
  }
  if (percent === 0) return undefined;
  set(`--heap-growing-percent=${percent}`);
  return percent;
}

/** The part of the sync event bus followTransfers listens to (structural, so bin/ferry.js needs no import). */
export interface TransferEvents {
  on(listener: (e: { type: string; task?: string; event?: { type: string }; summary?: { task: string } }) => void): () => void;
}

/**
 * Loosens the growth cap while blobs stream, and restores it when no task is moving any. A blob's bytes
 * arrive in socket buffers that live outside the JS heap, and V8 counts external memory allocated since the
 * last full GC against the old generation's limit: under the tight cap a cold sync runs a full mark-compact
 * again and again, each pausing the main thread to collect a few MB. A looser cap while bytes stream removes
 * most of them without raising the memory benchmark's peak much (figures: docs/benchmarks.md). The tight cap
 * stays where it pays: planning and no-op runs, whose garbage is JS objects. A task counts as transferring from its first `blob-started` to its
 * `task-finished`; `ferry copy` (task "copy") until it exits.
 *
 * Does nothing when FERRY_HEAP_GROWTH_PERCENT is set: the operator's value holds throughout.
 * Returns the unsubscribe function.
 */
export function followTransfers(bus: TransferEvents, env: NodeJS.ProcessEnv = process.env, set: SetFlags = setFlagsFromString): () => void {
  if ((env.FERRY_HEAP_GROWTH_PERCENT?.trim() ?? '') !== '') return () => {};
  const transferring = new Set<string>();
  return bus.on((e) => {
    if (e.type === 'copy' && e.event?.type === 'blob-started' && e.task !== undefined && !transferring.has(e.task)) {
      transferring.add(e.task);
      if (transferring.size === 1) set(`--heap-growing-percent=${TRANSFER_HEAP_GROWTH_PERCENT}`);
    } else if (e.type === 'task-finished' && e.summary && transferring.delete(e.summary.task) && transferring.size === 0) {
      set(`--heap-growing-percent=${DEFAULT_HEAP_GROWTH_PERCENT}`);
    }
  });
}
