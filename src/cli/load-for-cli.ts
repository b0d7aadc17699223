import { loadConfig, type LoadedConfig } from '../config/index.js';
import type { ConfigIssue } from '../config/diagnostics.js';
import { isFerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Loads the config (no network); logs its warnings and notes; on error logs it and returns undefined. */
export async function loadForCli(file: string, strict: boolean, logger: Logger): Promise<LoadedConfig | undefined> {
  try {
    const loaded = await loadConfig(file, { strict });
    logIssues(loaded.issues, logger);
    return loaded;
  } catch (e) {
    if (!isFerryError(e)) throw e;
    logger.error({}, e.message);
    return undefined;
  }
}

export function logIssues(issues: readonly ConfigIssue[], logger: Logger): void {
  for (const i of issues) {
    const fields = { file: i.file, line: i.line, ...(i.path ? { key: i.path } : {}) };
    if (i.severity === 'warning') logger.warn(fields, i.message);
    else logger.info(fields, i.message);
  }
}
