#!/usr/bin/env node
import { followTransfers, tuneHeap } from '../dist/cli/heap-tuning.js';

tuneHeap();
// LOG_METHODS names each log line's calling function and its place in src/ (not in the bundle): source maps must
// be on before the bundle loads. Off otherwise: mapping costs start-up time.
if (/^(1|true|yes|on)$/i.test(process.env.LOG_METHODS ?? '')) process.setSourceMapsEnabled(true);
// the CLI bundled into one file by scripts/bundle-cli.mjs (start-up time); the heap flags above must come first
const { main } = await import('../dist/ferry.mjs');

main(process.argv.slice(2), { heapPhases: (bus) => followTransfers(bus) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
