import { setFlagsFromString } from 'node:v8';

/** Old-generation growth after each full GC, in percent, unless FERRY_HEAP_GROWTH_PERCENT says otherwise. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 50;

/**
 * Garbage-collector policy for the ferry process (the CLI and the container; never the library, whose host
 * owns its heap). ferry keeps little alive — the config, the blob registry of the run, a few hundred bytes per
 * image in the report — and produces short-lived garbage at a high rate (every HEAD). V8's default lets the
 * old generation grow to up to 4× what survived the last full GC on a machine with memory to spare, which for
 * a 20 MB live heap means 80 MB of garbage held for nothing, and more when the registries keep both cores busy
 * and marking falls behind (peaks of 180 MB on a 20,000-tag no-op run). Capping the growth at 1.5× (Go's
 * GOGC=50, in effect) keeps a daemon's footprint tracking its live data: 130 MB peak on the same run, no
 * measurable change in wall time (docs/benchmarks.md). Returns the percentage applied, or undefined.
 *
 * FERRY_HEAP_GROWTH_PERCENT: 1–400 to choose, 0 to leave V8's own policy.
 */
export function tuneHeap(env: NodeJS.ProcessEnv = process.env, set: (flags: string) => void = setFlagsFromString): number | undefined {
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
