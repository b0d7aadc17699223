#!/usr/bin/env node
import { tuneHeap } from '../dist/cli/heap-tuning.js';

tuneHeap();
const { main } = await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
