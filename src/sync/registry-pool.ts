import { createHmac, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { registrySettingsFor, tlsDirFor } from '../config/resolve.js';
import type { FerryConfig, LocationConfig } from '../config/types.js';
import { dockerConfigProvider } from '../credentials/provider.js';
import { credentialSource } from '../credentials/resolve.js';
import { isTokenCredentials, staticSetting, type CredentialProvider, type CredentialSetting, type CredentialSource } from '../credentials/types.js';
import type { Logger } from '../log/logger.js';
import { ANONYMOUS, connectBudgeted, CredentialPool, PullBudget, type RecheckSchedule } from '../registry/budget/index.js';
import type { SyncEventBus } from './run-events.js';
import type { Exchange, RegistryClient } from '../registry/client.js';
import type { HttpFn } from '../registry/transport/http.js';
import { SchemeMemory } from '../registry/transport/scheme.js';
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

/** One account of a pooled source: the identity its pulls are charged to, and its credentials. */
interface PoolAccount {
  identity: string;
  setting: CredentialSetting;
}

/**
 * One registry session per (registry, endpoint, credentials, TLS setting), shared by every task of a run, so a
 * registry's `max-concurrency` and `requests-per-second` hold across tasks running at the same time with the same
 * credentials (tasks with different credentials have a session, and limits, each). All sessions report to one pull
 * budget. A source whose registry lists `credentials:` pulls through a credential pool: a session per account;
 * `choose()`, called once at the start of each task run, takes the account with most budget left, and `client()`
 * then returns that choice, so the run's copies use the account its plan was made with (repositories are listed
 * with the first account: `listingSession`). Sessions are made on first use: loading a config touches no network.
 */
export class RegistryPool {
  readonly #o: RegistryPoolOptions;
  readonly #sessions = new Map<string, Promise<RegistryClient>>();
  readonly #pools = new Map<string, Promise<CredentialPool>>();
  readonly #accountsOf = new WeakMap<LocationConfig, PoolAccount[] | undefined>();
  /** the account each pooled location's current run chose (by session key) */
  readonly #chosen = new Map<string, RegistryClient>();
  /** which account each session pulls as, and its credentials (for the side APIs of the listers) */
  readonly #accounts = new WeakMap<RegistryClient, { identity: string; credentials: CredentialSource }>();
  readonly #sources: ReadonlySet<LocationConfig>;
  readonly #docker: CredentialProvider;
  /** per pool, so a credential digest means nothing outside this process */
  readonly #salt = randomBytes(32);
  /** the scheme each registry answered on, shared by every session of this pool (one probe per registry) */
  readonly #schemes = new SchemeMemory();
  readonly #keys = new WeakMap<object, string>();

  constructor(o: RegistryPoolOptions) {
    this.#o = o;
    this.#docker = o.dockerConfig ?? dockerConfigProvider();
    this.#sources = new Set(o.config.tasks.map((t) => t.source));
  }

  get budget(): PullBudget {
    return this.#o.budget;
  }

  /** The identity a session's pulls are charged to (a username, never a secret). */
  identity(client: RegistryClient): string {
    return this.#accounts.get(client)?.identity ?? ANONYMOUS;
  }

  /** The credentials a session of this pool uses (the Hub and Harbor listers log in to their APIs with them). */
  credentials(client: RegistryClient): CredentialSource {
    return this.#accounts.get(client)?.credentials ?? (async () => undefined);
  }

  /** Whether a location pulls through a credential pool (a source whose registry lists `credentials:`). */
  pooled(loc: LocationConfig): boolean {
    return this.#poolAccounts(loc) !== undefined;
  }

  /** The session for a location; for a pooled source, the account its current run chose (see `choose`). */
  async client(loc: LocationConfig): Promise<RegistryClient> {
    if (!this.#poolAccounts(loc)) return this.#session(loc, loc.credentials, identityOf(loc.credentials));
    return this.#chosen.get(this.#sessionKey(loc, loc.credentials)) ?? this.choose(loc);
  }

  /**
   * The session a source's repositories are listed with (`from: regex:` mappings). For a pooled source, always its
   * first account (its own `auth:`, else the first listed): a listing is no pull, but the account decides what it
   * sees (private repositories, Docker Hub's default namespace), and a cached list must not change with the account
   * a run happens to pull as.
   */
  async listingSession(loc: LocationConfig): Promise<RegistryClient> {
    const first = this.#poolAccounts(loc)?.[0];
    return first ? this.#session(loc, first.setting, first.identity) : this.client(loc);
  }

  /**
   * The session a task run starts with. For a pooled source, a new choice: the account with most pull budget left
   * now, logged once and kept for `client()` until the next choice. Otherwise the same as `client()`.
   */
  async choose(loc: LocationConfig): Promise<RegistryClient> {
    const accounts = this.#poolAccounts(loc);
    if (!accounts) return this.client(loc);
    const key = this.#sessionKey(loc, loc.credentials);
    let pool = this.#pools.get(key);
    if (!pool) {
      const members = accounts.map(async (a) => ({ identity: a.identity, client: await this.#session(loc, a.setting, a.identity) }));
      pool = Promise.all(members).then((m) => new CredentialPool(loc.canonical, this.#o.budget, m));
      this.#pools.set(key, pool);
      pool.catch(() => this.#pools.delete(key));
    }
    const chosen = (await pool).choose();
    this.#chosen.set(key, chosen.client);
    const state = this.#o.budget.state(loc.canonical, chosen.identity);
    const left = state?.remaining !== undefined ? `${state.remaining} of ${state.limit ?? '?'} pulls left` : 'budget not known yet';
    this.#o.logger.info({ registry: loc.canonical, identity: chosen.identity, ...(state?.remaining !== undefined ? { pullsRemaining: state.remaining } : {}) }, `pulling from ${loc.canonical} as ${chosen.identity} (${left}), the account with most pull budget left`);
    return chosen.client;
  }

  /**
   * The accounts a source pulls with when its registry lists `credentials:`: its own `auth:` first (when it has
   * one), then the listed ones, each once. Undefined for a target, a registry without `credentials:`, or
   * `auth: none` (anonymous on purpose).
   */
  #poolAccounts(loc: LocationConfig): PoolAccount[] | undefined {
    // worked out once per location: the settings it builds are the keys of their sessions
    if (!this.#accountsOf.has(loc)) this.#accountsOf.set(loc, this.#accountsFor(loc));
    return this.#accountsOf.get(loc);
  }

  #accountsFor(loc: LocationConfig): PoolAccount[] | undefined {
    const listed = registrySettingsFor(this.#o.config, loc.canonical).credentials;
    if (!this.#sources.has(loc) || listed.length === 0 || loc.credentials.kind === 'none') return undefined;
    const settings = [...(loc.credentials.kind === 'static' ? [loc.credentials] : []), ...listed.map(staticSetting)];
    // One account per identity (username): the registry counts pulls per account, not per password, so a second
    // secret for the same user (a rotated password, a token) would be a second view of one budget. The first wins.
    const out: PoolAccount[] = [];
    for (const setting of settings) {
      const identity = identityOf(setting);
      if (!out.some((a) => a.identity === identity)) out.push({ identity, setting });
    }
    return out;
  }

  /**
   * Which credentials a location uses, as a keyed digest of all of them (username and password, or the identity
   * token): two locations share a session only when their credentials are identical, so one task's stale password
   * neither hides behind nor breaks another's good one. The secret itself is never part of a key.
   */
  #credentialKey(c: CredentialSetting): string {
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

  #sessionKey(loc: LocationConfig, setting: CredentialSetting): string {
    return `${loc.canonical}\u0000${loc.endpoint}\u0000${this.#credentialKey(setting)}\u0000${loc.skipTlsVerify}`;
  }

  #session(loc: LocationConfig, setting: CredentialSetting, identity: string): Promise<RegistryClient> {
    const key = this.#sessionKey(loc, setting);
    let c = this.#sessions.get(key);
    if (!c) {
      const credentials = credentialSource(setting, loc.canonical, this.#docker);
      c = this.#connect(loc, credentials, identity).then((client) => {
        this.#accounts.set(client, { identity, credentials });
        return client;
      });
      this.#sessions.set(key, c);
      c.catch(() => this.#sessions.delete(key));
    }
    return c;
  }

  async #connect(loc: LocationConfig, credentials: CredentialSource, identity: string): Promise<RegistryClient> {
    const settings = registrySettingsFor(this.#o.config, loc.canonical);
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
        schemes: this.#schemes,
        ...(this.#o.wrapHttp ? { wrapHttp: this.#o.wrapHttp } : {}),
        ...(this.#o.onExchange ? { onExchange: this.#o.onExchange } : {}),
      },
      this.#o.budget,
      identity,
    );
  }

  async close(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    this.#pools.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}

/** The identity a setting's pulls are charged to: the username, never a secret. */
function identityOf(c: CredentialSetting): string {
  if (c.kind === 'static') return isTokenCredentials(c.credentials) ? 'identity-token' : c.credentials.username;
  if (c.kind === 'none') return ANONYMOUS;
  return 'docker-config';
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
 * re-checks, resumptions and exhaustions go to the bus as they are (typed budget events), for the run projection
 * (status page, metrics) and the run log.
 */
export function budgetFor(config: FerryConfig, logger: Logger, clock: Clock, bus?: SyncEventBus, recheck?: RecheckSchedule): PullBudget {
  const reserve: Record<string, number> = {};
  for (const s of Object.values(config.registries)) reserve[s.canonical] = s.pullReserve;
  return new PullBudget({ clock, logger, reserve, ...(recheck ? { recheck } : {}), ...(bus ? { onEvent: (e) => bus.emit(e) } : {}) });
}
