import type { FerryConfig, TaskConfig } from '../config/types.js';
import { dockerConfigProvider } from '../credentials/provider.js';
import type { CredentialProvider } from '../credentials/types.js';
import { TaskListers } from '../listers/index.js';
import type { Logger } from '../log/logger.js';
import type { RecheckSchedule } from '../registry/budget/recheck.js';
import type { Exchange } from '../registry/client.js';
import type { HttpFn } from '../registry/transport/http.js';
import type { Clock } from '../clock.js';
import { BlobTransfers } from './blob-transfers.js';
import { memoryMemo } from './copy-image.js';
import { budgetFor, RegistryPool } from './registry-pool.js';
import type { SyncEventBus, TaskRunSummary } from './run-events.js';
import { attachRunLog } from './run-log.js';
import { runTask } from './task-runner.js';

export interface RuntimeDeps {
  logger: Logger;
  clock: Clock;
  bus: SyncEventBus;
  dockerConfig?: CredentialProvider;
  wrapHttp?: (http: HttpFn) => HttpFn;
  onExchange?: (e: Exchange) => void;
  /** the Hub API and index origins for the dockerhub and index listers (tests) */
  hubApi?: string;
  hubIndex?: string;
  imageConcurrency?: number;
  /** when a paused pull budget is re-read (default: 1 min, growing to 10; tests use a second) */
  budgetRecheck?: RecheckSchedule;
}

export interface Runtime {
  readonly pool: RegistryPool;
  listers(task: TaskConfig): TaskListers | undefined;
  run(task: TaskConfig, signal?: AbortSignal): Promise<TaskRunSummary>;
  close(): Promise<void>;
}

/**
 * Everything one loaded config shares across its tasks and runs: registry clients (so per-registry limits hold
 * across tasks), the pull budget, one BlobTransfers (blobs move once and mount across repositories), the digest
 * memo, and each task's cached repository listers. A config reload builds a new one (as dregsy resets its caches).
 * Its run log (budget waits, each run's closing line) subscribes to the bus until it is closed.
 */
export function createRuntime(config: FerryConfig, deps: RuntimeDeps): Runtime {
  const stopLog = attachRunLog(deps.bus, deps.logger);
  const budget = budgetFor(config, deps.logger, deps.clock, deps.bus, deps.budgetRecheck);
  const docker = deps.dockerConfig ?? dockerConfigProvider();
  const pool = new RegistryPool({
    config,
    logger: deps.logger,
    clock: deps.clock,
    budget,
    dockerConfig: docker,
    ...(deps.wrapHttp ? { wrapHttp: deps.wrapHttp } : {}),
    ...(deps.onExchange ? { onExchange: deps.onExchange } : {}),
  });
  const transfers = new BlobTransfers();
  const memo = memoryMemo();
  const listers = new Map<string, TaskListers>();
  const listersFor = (task: TaskConfig): TaskListers | undefined => {
    if (!task.needsRepositoryList) return undefined;
    const key = `${task.index}`;
    let l = listers.get(key);
    if (!l) {
      l = new TaskListers(task, {
        settings: config.lister,
        clock: deps.clock,
        session: () => pool.listingSession(task.source),
        credentials: (session) => pool.credentials(session)(),
        ...(deps.hubApi ? { hubApi: deps.hubApi } : {}),
        ...(deps.hubIndex ? { hubIndex: deps.hubIndex } : {}),
        logger: deps.logger,
      });
      listers.set(key, l);
    }
    return l;
  };
  return {
    pool,
    listers: listersFor,
    run(task, signal) {
      const l = listersFor(task);
      return runTask(
        task,
        {
          pool,
          ...(l ? { listers: l } : {}),
          transfers,
          memo,
          bus: deps.bus,
          logger: deps.logger,
          clock: deps.clock,
          ...(deps.imageConcurrency ? { imageConcurrency: deps.imageConcurrency } : {}),
        },
        signal,
      );
    },
    close: () => {
      stopLog();
      return pool.close();
    },
  };
}
