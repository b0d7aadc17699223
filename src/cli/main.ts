import { isFerryError } from '../errors.js';
import { createLogger } from '../log/pino-logger.js';
import { EXIT } from './exit-codes.js';
import type { TransferEvents } from './heap-tuning.js';

export const USAGE = `ferry: container-image sync (a drop-in for dregsy)

Usage:
  ferry copy SOURCE DEST [options]     copy one image (ferry copy --help)
  ferry list-tags REPOSITORY [options] list a repository's tags, through a tags: filter with --tags
                                       (ferry list-tags --help)
  ferry -config=FILE [-run=REGEX]      run a dregsy config (as dregsy does)
  ferry -config=FILE -once            run every selected task once, then exit (0, or 1 on errors)
  ferry sync --config FILE [--once] [--task REGEX] [--strict]
                                       the same, ferry style
  ferry validate --config FILE [--strict]
                                       check a config and exit (0 valid, 1 invalid)
  ferry plan --config FILE [--task REGEX] [--output text|json]
                                       show what a sync would do, copying nothing
                                       (0 in sync, 3 drift, 1 error)
`;

export interface MainIo {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** the process's heap policy follows the run's blob transfers (bin/ferry.js passes followTransfers) */
  heapPhases?: (bus: TransferEvents) => () => void;
}

/** Entry point: returns the exit code. Errors a user can cause print their message, not a stack. */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const heapPhases = io.heapPhases ? { heapPhases: io.heapPhases } : {};
  const logger = createLogger({ destination: err });
  const [cmd, ...rest] = argv;
  // Commands are loaded on use: `ferry copy` does not pay for the config loader, the scheduler or the metrics.
  const sync = async (args: string[]): Promise<number> =>
    (await import('./commands/sync.js')).syncCommand(args, { logger: createLogger({ destination: out }), out, ...heapPhases });
  try {
    switch (cmd) {
      case 'copy':
        return await (await import('./commands/copy.js')).copyCommand(rest, logger, out, heapPhases);
      case 'list-tags':
        return await (await import('./commands/list-tags.js')).listTagsCommand(rest, logger, out, err);
      case 'sync':
        return await sync(rest);
      case 'validate':
        return await (await import('./commands/validate.js')).validateCommand(rest, out, err);
      case 'plan':
        return await (await import('./commands/plan.js')).planCommand(rest, logger, out, err);
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        out.write(USAGE);
        return cmd === undefined ? EXIT.usage : EXIT.ok;
      default:
        // dregsy's command line: ferry -config=FILE [-run=REGEX]
        if (cmd.startsWith('-')) return await sync(argv);
        err.write(`ferry: unknown command "${cmd}"\n\n${USAGE}`);
        return EXIT.usage;
    }
  } catch (e) {
    if (isFerryError(e)) {
      err.write(`ferry: ${e.message}\n`);
      return e.code === 'USAGE' ? EXIT.usage : EXIT.failure;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err.write(`ferry: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}
