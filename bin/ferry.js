#!/usr/bin/env node
import { followTransfers, tuneHeap } from '../dist/cli/heap-tuning.js';

tuneHeap();
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
