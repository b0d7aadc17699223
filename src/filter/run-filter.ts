import { FerryError } from '../errors.js';
import { compileAnchored, RegexSyntaxError } from './regex.js';

/**
 * The `-run=REGEX` task filter: the whole task name must match (anchored like every ferry regex), a leading `!`
 * inverts. No expression selects every task. Throws FerryError USAGE for an invalid expression.
 */
export function compileRunFilter(expr: string | undefined): (taskName: string) => boolean {
  if (expr === undefined || expr === '') return () => true;
  try {
    const m = compileAnchored(expr);
    return (name) => m.test(name);
  } catch (e) {
    if (e instanceof RegexSyntaxError) {
      throw new FerryError('USAGE', `-run: ${e.message}; -run takes an RE2 expression matched against the whole task name, '!' in front inverts it`);
    }
    throw e;
  }
}
