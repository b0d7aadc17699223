import { loadConfig } from '../../config/index.js';
import { formatIssue } from '../../config/diagnostics.js';
import { isFerryError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { parseGoFlags } from '../go-flags.js';

export const VALIDATE_USAGE = 'Usage: ferry validate --config FILE [--strict]\n\nChecks a dregsy/ferry config without touching the network; prints warnings; exits 0 when valid, 1 when not.';

/** `ferry validate --config FILE [--strict]`: errors and warnings as `file:line: key: message`. */
export async function validateCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let values;
  try {
    values = parseGoFlags(argv, { config: 'string', strict: 'bool', help: 'bool' }, { h: 'help' }).values;
  } catch (e) {
    err.write(`ferry validate: ${(e as Error).message}\n${VALIDATE_USAGE}\n`);
    return EXIT.failure;
  }
  if (values.help) {
    out.write(VALIDATE_USAGE + '\n');
    return EXIT.ok;
  }
  if (typeof values.config !== 'string' || values.config === '') {
    err.write(`ferry validate: --config is required\n${VALIDATE_USAGE}\n`);
    return EXIT.failure;
  }
  try {
    const { config, issues } = await loadConfig(values.config, { strict: values.strict === true });
    for (const i of issues) out.write(`${i.severity}: ${formatIssue(i)}\n`);
    const warnings = issues.filter((i) => i.severity === 'warning').length;
    out.write(`${values.config}: valid, ${config.tasks.length} task${config.tasks.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
    return EXIT.ok;
  } catch (e) {
    if (!isFerryError(e)) throw e;
    err.write(`${e.message}\n`);
    return EXIT.failure;
  }
}
