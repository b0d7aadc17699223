#!/usr/bin/env node
// Runs the node:test suite over every *.test.ts under test/ (Node 20's --test has no recursive globs).
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk('test').sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The timeout (per test file) is a safety net against a hang, not a speed bound: on a 2-core machine shared with
// other work, the longest files (crash safety: ~21 child processes; the fault run) take minutes instead of ~40 s.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
