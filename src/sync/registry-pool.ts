import { dirname } from 'node:path';
import { registrySettingsFor } from '../config/resolve.js';
import type { FerryConfig, LocationConfig } from '../config/types.js';
import { dockerConfigProvider } from '../credentials/provider.js';
import type { CredentialProvider } from '../credentials/types.js';
import { isTokenCredentials } from '../credentials/types.js';
import type { Logger } from '../log/logger.js';
import { ANONYMOUS, connectBudgeted, PullBudget, type RecheckSchedule } from '../registry/budget/index.js';
import { budgetSnapshot, type SyncEventBus } from './run-events.js';
import type { CredentialSource } from '../registry/auth/credentials.js';
import type { Exchange, RegistryClient } from '../registry/client.js';
import type { HttpFn } from '../registry/transport/http.js';
import type { Clock } from '../scheduler/clock.js';

export interface RegistryPoolOptions {
  config: FerryConfig;
  logger: Logger;
  clock: Clock;
  budget: PullBudget;
  /** credentials for locations without `auth:` (default: the Docker config) */
  dockerConfig?: CredentialProvider;
  wrapHttp?: (http: HttpFn) => HttpFn;
  onExchange?: (e: Exchange) => void;
}

/**
 * One registry client per (registry, endpoint, identity), shared by every task of a run, so a registry's
 * `max-concurrency` and `requests-per-second` hold across tasks running at the same time. All clients report to
 * one pull budget. Connections are made on first use: loading a config touches no network.
 */
export class RegistryPool {
  readonly #o: RegistryPoolOptions;
  readonly #clients = new Map<string, Promise<RegistryClient>>();
  readonly #docker: CredentialProvider;

  constructor(o: RegistryPoolOptions) {
    this.#o = o;
    this.#docker = o.dockerConfig ?? dockerConfigProvider();
  }

  get budget(): PullBudget {
    return this.#o.budget;
  }

  /** The identity a location's pulls are charged to (a username, never a secret). */
  identity(loc: LocationConfig): string {
    const c = loc.credentials;
    if (c.kind === 'static') return isTokenCredentials(c.credentials) ? 'identity-token' : c.credentials.username;
    if (c.kind === 'none') return ANONYMOUS;
    return 'docker-config';
  }

  client(loc: LocationConfig): Promise<RegistryClient> {
    const identity = this.identity(loc);
    const key = `${loc.canonical}\u0000${loc.endpoint}\u0000${identity}\u0000${loc.skipTlsVerify}`;
    let c = this.#clients.get(key);
    if (!c) {
      c = this.#connect(loc, identity);
      this.#clients.set(key, c);
      c.catch(() => this.#clients.delete(key));
    }
    return c;
  }

  async #connect(loc: LocationConfig, identity: string): Promise<RegistryClient> {
    const settings = registrySettingsFor(this.#o.config, loc.canonical);
    const cred = loc.credentials;
    const credentials: CredentialSource =
      cred.kind === 'static' ? async () => cred.credentials : cred.kind === 'none' ? async () => undefined : () => this.#docker.get(loc.canonical);
    // dregsy's certs-dir is <root>/<host without port>; docker's is <root>/<host:port>. With the root from the
    // config, both are looked up (host:port first); a registry's own certs-dir is used as given.
    const certs = !settings.certsDir && dirname(loc.certsDir) === this.#o.config.certsDir ? { certsDir: this.#o.config.certsDir } : { certDir: loc.certsDir };
    return connectBudgeted(
      loc.canonical,
      {
        endpoint: loc.endpoint,
        tlsVerify: !loc.skipTlsVerify,
        ...certs,
        credentials,
        maxConcurrency: settings.maxConcurrency,
        ...(settings.requestsPerSecond !== undefined ? { requestsPerSecond: settings.requestsPerSecond } : {}),
      },
      {
        logger: this.#o.logger,
        clock: this.#o.clock,
        ...(this.#o.wrapHttp ? { wrapHttp: this.#o.wrapHttp } : {}),
        ...(this.#o.onExchange ? { onExchange: this.#o.onExchange } : {}),
      },
      this.#o.budget,
      identity,
    );
  }

  async close(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}

/**
 * A pull budget with the `registries:` reserves (`pull-reserve`) of registries configured explicitly. Its waits,
 * resumptions and exhaustions go to the bus as `budget` events, so metrics and the status page show what waits.
 */
export function budgetFor(config: FerryConfig, logger: Logger, clock: Clock, bus?: SyncEventBus, recheck?: RecheckSchedule): PullBudget {
  const reserve: Record<string, number> = {};
  for (const s of Object.values(config.registries)) reserve[s.canonical] = s.pullReserve;
  const budget: PullBudget = new PullBudget({
    clock,
    logger,
    reserve,
    ...(recheck ? { recheck } : {}),
    onEvent: (e) => {
      const state = budget.state(e.registry, e.identity);
      if (!state || !bus) return;
      const until = e.type === 'budget-resume' ? undefined : e.resumeAtMs;
      bus.emit({ type: 'budget', snapshot: budgetSnapshot(state, until) });
    },
  });
  return budget;
}
