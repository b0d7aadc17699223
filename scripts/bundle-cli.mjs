#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js and everything it imports, dependencies included) into one file,
// dist/ferry.mjs, which bin/ferry.js loads. One file instead of ~470 cuts ferry's start-up from ~0.58 s to
// ~0.4 s and ~10 MB of RSS: module resolution (stat, open, read per file) was most of it. The library entry
// (dist/index.js) stays the unbundled tsc output.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/ferry.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own
  banner: { js: "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
