import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

let done = false;

/**
 * ferry validates with `zod/mini` (tree-shaken into the CLI bundle at a few KB, where the classic API brought
 * ~580 KB to parse at every start). Mini leaves messages to a locale; this installs English once, so a
 * malformed manifest still says what is wrong ("expected string, received number").
 */
export function zodMessages(): void {
  if (done) return;
  done = true;
  config(en());
}
