import { loadConfig } from '../../config/index.js';
import { compileRunFilter } from '../../filter/run-filter.js';
import type { Logger } from '../../log/logger.js';
import { systemClock } from '../../clock.js';
import { watchConfig } from '../../scheduler/config-watch.js';
import { runDaemon, type SignalSource } from '../../scheduler/daemon.js';
import { createRuntime } from '../../sync/runtime.js';
import { SyncEventBus } from '../../sync/run-events.js';
import { setupOperations } from '../../server/operations.js';
import { EXIT } from '../exit-codes.js';
import type { TransferEvents } from '../heap-tuning.js';
import { parseGoFlags } from '../go-flags.js';
import { loadForCli } from '../load-for-cli.js';
import { VERSION } from '../version.js';

export { VERSION };
export const SYNOPSIS = 'synopsis: ferry -config={config file} [-run {task name regex}] [-once] [-listen ADDR] [-listen-host NAME]... [-listen-token-file FILE] [-report FILE]\n       ferry sync --config FILE [--once] [--task REGEX] [--strict] [--listen ADDR] [--listen-host NAME]... [--listen-token-file FILE] [--report FILE]';

const SPEC = { config: 'string', run: 'string', once: 'bool', strict: 'bool', help: 'bool', listen: 'string', 'listen-host': 'list', 'listen-token-file': 'string', report: 'string' } as const;
const ALIASES = { task: 'run', h: 'help' };

export interface SyncCommandDeps {
  logger: Logger;
  out: NodeJS.WritableStream;
  signals?: SignalSource;
  bus?: SyncEventBus;
  heapPhases?: (bus: TransferEvents) => () => void;
}

/**
 * `ferry -config=FILE [-run=REGEX] [-once]` (dregsy's CLI, Go flag syntax) and `ferry sync --config FILE [--once]
 * [--task REGEX] [--strict]`. Exit codes as dregsy's (spec §5.5): 1 for usage, config and task errors.
 */
export async function syncCommand(argv: string[], deps: SyncCommandDeps): Promise<number> {
  const { logger, out } = deps;
  let flags;
  try {
    flags = parseGoFlags(argv, SPEC, ALIASES);
  } catch (e) {
    out.write(`${e instanceof Error ? e.message : String(e)}\nferry ${VERSION}\n${SYNOPSIS}\n`);
    return EXIT.failure;
  }
  const v = flags.values;
  if (v.help || typeof v.config !== 'string' || v.config === '' || flags.rest.length > 0) {
    const extra = flags.rest.length > 0 ? `unexpected arguments: ${flags.rest.join(' ')}\n` : '';
    out.write(`${extra}ferry ${VERSION}\n${SYNOPSIS}\n`);
    return EXIT.failure;
  }
  const file = v.config;
  const strict = v.strict === true;
  let select: (name: string) => boolean;
  try {
    select = compileRunFilter(typeof v.run === 'string' ? v.run : undefined);
  } catch (e) {
    logger.error({}, e instanceof Error ? e.message : String(e));
    return EXIT.failure;
  }
  logger.info({ version: VERSION }, `ferry ${VERSION}`);
  const initial = await loadForCli(file, strict, logger);
  if (!initial) return EXIT.failure;
  const bus = deps.bus ?? new SyncEventBus({ logger });
  const stopHeapPhases = deps.heapPhases?.(bus);
  const ops = await setupOperations({
    bus,
    logger,
    ...(typeof v.listen === 'string' ? { listen: v.listen } : {}),
    ...(Array.isArray(v['listen-host']) ? { listenHosts: v['listen-host'] } : {}),
    ...(typeof v['listen-token-file'] === 'string' ? { listenTokenFile: v['listen-token-file'] } : {}),
    ...(typeof v.report === 'string' ? { reportFile: v.report } : {}),
    ...(v.once === true ? { progressStream: process.stderr } : {}),
  });
  try {
    return await runDaemon({
      initial,
      reload: () => loadConfig(file, { strict }),
      select,
      once: v.once === true,
      runtime: (config) => createRuntime(config, { logger, clock: systemClock, bus }),
      watch: (f, onChange) => watchConfig(f, onChange, { clock: systemClock, logger }),
      signals: deps.signals ?? (process as unknown as SignalSource),
      logger,
      clock: systemClock,
      bus,
    });
  } finally {
    stopHeapPhases?.();
    await ops.close();
  }
}
