import { createHmac, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { registrySettingsFor, tlsDirFor } from '../config/resolve.js';
import type { FerryConfig, LocationConfig } from '../config/types.js';
import { dockerConfigProvider } from '../credentials/provider.js';
import { credentialSource } from '../credentials/resolve.js';
import type { CredentialProvider } from '../credentials/types.js';
import { isTokenCredentials } from '../credentials/types.js';
import type { Logger } from '../log/logger.js';
import { ANONYMOUS, connectBudgeted, PullBudget, type RecheckSchedule } from '../registry/budget/index.js';
import { budgetSnapshot, type SyncEventBus } from './run-events.js';
import type { Exchange, RegistryClient } from '../registry/client.js';
import type { HttpFn } from '../registry/transport/http.js';
import type { TlsAdvice } from '../registry/transport/tls-errors.js';
import type { Clock } from '../clock.js';

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
 * One registry client per (registry, endpoint, credentials, TLS setting), shared by every task of a run, so a registry's
 * `max-concurrency` and `requests-per-second` hold across tasks running at the same time with the same credentials
 * (tasks with different credentials have a client, and limits, each). All clients report to one pull budget.
 * Connections are made on first use: loading a config touches no network.
 */
export class RegistryPool {
  readonly #o: RegistryPoolOptions;
  readonly #clients = new Map<string, Promise<RegistryClient>>();
  readonly #docker: CredentialProvider;
  /** per pool, so a credential digest means nothing outside this process */
  readonly #salt = randomBytes(32);
  readonly #keys = new WeakMap<object, string>();

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

  /**
   * Which credentials a location uses, as a keyed digest of all of them (username and password, or the identity
   * token): two locations share a client only when their credentials are identical, so one task's stale password
   * neither hides behind nor breaks another's good one. The secret itself is never part of a key.
   */
  #credentialKey(loc: LocationConfig): string {
    const c = loc.credentials;
    if (c.kind !== 'static') return c.kind;
    let key = this.#keys.get(c);
    if (key === undefined) {
      const parts = isTokenCredentials(c.credentials) ? ['token', c.credentials.identityToken] : ['basic', c.credentials.username, c.credentials.password];
      const h = createHmac('sha256', this.#salt);
      for (const p of parts) h.update(`${p.length}:${p}\u0000`);
      key = `static:${h.digest('base64url')}`;
      this.#keys.set(c, key);
    }
    return key;
  }

  client(loc: LocationConfig): Promise<RegistryClient> {
    const identity = this.identity(loc);
    const key = `${loc.canonical}\u0000${loc.endpoint}\u0000${this.#credentialKey(loc)}\u0000${loc.skipTlsVerify}`;
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
    const credentials = credentialSource(loc.credentials, loc.canonical, this.#docker);
    // the same lookup the config's load checked (config/check-files.ts)
    const certs = tlsDirFor(this.#o.config, loc);
    return connectBudgeted(
      loc.canonical,
      {
        endpoint: loc.endpoint,
        httpFallback: loc.httpFallback,
        tlsAdvice: configTlsAdvice(loc, new URL(loc.endpoint).host, 'certsDir' in certs),
        tlsVerify: !loc.skipTlsVerify,
        ...certs,
        credentials,
        maxConcurrency: settings.maxConcurrency,
        ...(settings.requestsPerSecond !== undefined ? { requestsPerSecond: settings.requestsPerSecond } : {}),
        ...(settings.lowSpeedLimit !== undefined ? { lowSpeedLimit: settings.lowSpeedLimit } : {}),
        ...(settings.lowSpeedTimeMs !== undefined ? { lowSpeedTimeMs: settings.lowSpeedTimeMs } : {}),
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

/** What to do about a registry's TLS, in the config's words. `rootLayout`: certificates under <root>/<host[:port]>. */
function configTlsAdvice(loc: LocationConfig, host: string, rootLayout: boolean): TlsAdvice {
  const where = rootLayout ? `${dirname(loc.certsDir)}/${host}/ca.crt` : `${loc.certsDir}/ca.crt`;
  return {
    certificate: `set skip-tls-verify: true for ${loc.registry} (${loc.where.file}:${loc.where.line}, or its registries: entry), or put its CA certificate in ${where}`,
    plainHttp: `if it really serves plain HTTP, set skip-tls-verify: true for it, or endpoint: http://${host} in its registries: entry`,
  };
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
