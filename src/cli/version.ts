import { readFileSync } from 'node:fs';

/**
 * ferry's version, read from the nearest package.json named `ferry` above this module: found the same way from
 * the compiled tree (dist/cli/) and from the bundled CLI (dist/ferry.mjs).
 */
export const VERSION: string = findVersion(new URL('.', import.meta.url));

function findVersion(start: URL): string {
  for (let dir = start; ; ) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ferry' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ferry's): look one level up
    }
    const up = new URL('..', dir);
    if (up.href === dir.href) return '0.0.0-unknown';
    dir = up;
  }
}
