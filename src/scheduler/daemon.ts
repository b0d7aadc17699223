import type { LoadedConfig } from '../config/index.js';
import type { FerryConfig } from '../config/types.js';
import { isFerryError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Runtime } from '../sync/runtime.js';
import type { SyncEventBus } from '../sync/run-events.js';
import type { Clock } from '../clock.js';
import type { ConfigWatch } from './config-watch.js';
import { Scheduler } from './scheduler.js';

/** The process signals the daemon listens to (process, or an EventEmitter in tests). */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', listener: () => void): unknown;
}

export interface DaemonOptions {
  initial: LoadedConfig;
  /** re-reads the config (SIGHUP, file change); throws for an invalid config */
  reload: () => Promise<LoadedConfig>;
  /** which tasks to run (`-run`); kept across restarts */
  select: (taskName: string) => boolean;
  once: boolean;
  runtime: (config: FerryConfig) => Runtime;
  watch: (file: string, onChange: () => void) => ConfigWatch;
  signals: SignalSource;
  logger: Logger;
  clock: Clock;
  bus: SyncEventBus;
}

/**
 * dregsy's main loop (spec §5.4–5.6) with ferry's clean stop: run the selected tasks; restart on SIGHUP or (with
 * `watch: true`) a config change, exiting 1 if the new config is invalid; SIGINT/SIGTERM abort in-flight copies
 * (their tags are never half written) and exit. Returns the exit code: 1 when any task's last run failed.
 */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  let loaded = o.initial;
  for (;;) {
    const config = loaded.config;
    const tasks = config.tasks.filter((t) => o.select(t.name));
    o.bus.emit({ type: 'config-loaded', file: config.file, tasks: tasks.map((t) => t.name), configured: config.tasks.map((t) => t.name) });
    if (tasks.length === 0) o.logger.warn({ file: config.file }, 'no task selected: nothing to do');
    const runtime = o.runtime(config);
    const scheduler = new Scheduler({ tasks, run: (t, s) => runtime.run(t, s), clock: o.clock, bus: o.bus, logger: o.logger, once: o.once });
    let wake: (why: 'stop' | 'restart') => void = () => undefined;
    const event = new Promise<'stop' | 'restart'>((resolve) => (wake = resolve));
    const onStop = (): void => wake('stop');
    const onHup = (): void => {
      o.logger.info({}, 'SIGHUP received, reloading the config');
      wake('restart');
    };
    o.signals.on('SIGINT', onStop);
    o.signals.on('SIGTERM', onStop);
    if (!o.once) o.signals.on('SIGHUP', onHup);
    const watcher = config.watch && !o.once ? o.watch(config.file, () => wake('restart')) : undefined;
    const periodic = !o.once && tasks.some((t) => t.intervalSeconds > 0);
    if (periodic) o.logger.info({}, 'waiting for next sync task...');
    const outcome = await Promise.race([scheduler.start().then(() => 'done' as const), event]);
    watcher?.close();
    o.signals.off('SIGHUP', onHup);
    if (outcome !== 'done') {
      if (outcome === 'stop') o.logger.info({}, 'stopping: aborting copies in flight');
      await scheduler.stop();
    }
    o.signals.off('SIGINT', onStop);
    o.signals.off('SIGTERM', onStop);
    await runtime.close();
    const result = scheduler.result();
    if (outcome === 'restart') {
      try {
        loaded = await o.reload();
        for (const i of loaded.issues) o.logger[i.severity === 'warning' ? 'warn' : 'info']({ file: i.file, line: i.line, key: i.path || undefined }, i.message);
        continue;
      } catch (e) {
        o.logger.error({}, isFerryError(e) ? e.message : String(e));
        return 1;
      }
    }
    if (result.failed.length > 0) {
      o.logger.error({ failed: result.failed }, 'one or more tasks had errors, please see log for details');
      return 1;
    }
    o.logger.info({}, 'all done');
    return 0;
  }
}
