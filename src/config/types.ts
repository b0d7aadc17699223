import type { CredentialSetting, Credentials } from '../credentials/types.js';
import type { FromSpec, ToSpec } from '../filter/mapping.js';
import type { TagFilter } from '../filter/tag-filter.js';
import type { PlatformSelection } from '../oci/platform.js';

/** Where something was written: for messages such as `config.yaml:12: …`. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

/** ferry's typed config, converted from dregsy YAML (plus ferry's additions). Durations are milliseconds. */
export interface FerryConfig {
  readonly file: string;
  /**
   * `relay:` as written. ferry has its own engine and uses neither skopeo nor Docker; when this is set, log
   * `relayNotice` once at info level.
   */
  readonly relay: 'docker' | 'skopeo' | undefined;
  readonly relayNotice: string | undefined;
  /** restart when the config file changes (dregsy `watch`); unset means false */
  readonly watch: boolean;
  readonly watchExplicit: boolean;
  /** ferry's certificate directory (dregsy `skopeo.certs-dir`): `<certsDir>/<host without port>/{*.crt,*.cert,*.key}` */
  readonly certsDir: string;
  readonly lister: ListerSettings;
  /** ferry's `registries:` block, keyed by canonical registry name (Docker Hub aliases are one entry) */
  readonly registries: Readonly<Record<string, RegistrySettings>>;
  readonly tasks: readonly TaskConfig[];
}

export interface ListerSettings {
  /** repositories to list per regex `from`; null means no limit (dregsy: negative) */
  readonly maxItems: number | null;
  /** how long a task's repository list is reused; 0 means it is fetched every time (dregsy: negative) */
  readonly cacheDurationMs: number;
}

export interface TaskConfig {
  readonly name: string;
  readonly index: number;
  /** 0 = run once at start; otherwise at least 30 */
  readonly intervalSeconds: number;
  readonly verbose: boolean;
  readonly source: LocationConfig;
  readonly target: LocationConfig;
  readonly mappings: readonly MappingConfig[];
  /** true when a mapping has a regex `from`, so the source's repositories must be listed */
  readonly needsRepositoryList: boolean;
  readonly where: SourcePosition;
}

export interface LocationConfig {
  /** as written (for ECR's `account:region@public.ecr.aws` form, the part after `@`) */
  readonly registry: string;
  /** canonicalRegistry of the host part: `docker.io` for every Docker Hub alias, lower-cased */
  readonly canonical: string;
  /**
   * dregsy builds refs as `registry + "/" + path`, so `registry: harbor.example.com/project` puts every repository
   * under `project/`: this is that path part ('' when the registry is just a host), to prepend to repositories.
   */
  readonly repositoryPrefix: string;
  readonly credentials: CredentialSetting;
  /** `skip-tls-verify` here or in the registry's `registries:` entry */
  readonly skipTlsVerify: boolean;
  /** the URL ferry talks to: a `registries:` endpoint, else https://host */
  readonly endpoint: string;
  /**
   * plain http may replace https when the server does not speak TLS: no `registries:` endpoint, and a loopback
   * host or `skip-tls-verify` (see registry/transport/scheme.ts)
   */
  readonly httpFallback: boolean;
  /** the directory with this registry's CA and client certificates */
  readonly certsDir: string;
  /** ECR token refresh interval (dregsy `auth-refresh`, at least 1h) */
  readonly authRefreshMs?: number;
  readonly ecr?: EcrInfo;
  readonly lister?: RepositoryListerConfig;
  readonly where: SourcePosition;
}

export interface EcrInfo {
  readonly public: boolean;
  readonly account?: string;
  readonly region?: string;
}

export interface RepositoryListerConfig {
  readonly type: 'catalog' | 'dockerhub' | 'index' | 'harbor';
  readonly search?: string;
}

export interface MappingConfig {
  readonly index: number;
  readonly from: FromSpec;
  readonly to: ToSpec;
  readonly tags: TagFilter;
  /** `all` (the default: the index and every image, byte for byte), one platform, or several */
  readonly platform: PlatformSelection;
  readonly where: SourcePosition;
}

/** ferry's per-registry settings (`registries:`). */
export interface RegistrySettings {
  /** the key as written */
  readonly name: string;
  readonly canonical: string;
  /** e.g. `http://127.0.0.1:5000`; undefined means the registry's own address */
  readonly endpoint?: string;
  readonly skipTlsVerify: boolean;
  readonly certsDir?: string;
  readonly maxConcurrency: number;
  readonly requestsPerSecond?: number;
  /** Docker Hub pulls to leave unused in the rate-limit window */
  readonly pullReserve: number;
  /** `low-speed-limit`: blob bodies slower than this (bytes per second) over `lowSpeedTimeMs` fail; 0: no limit */
  readonly lowSpeedLimit?: number;
  /** `low-speed-time`: the span the low-speed limit is averaged over */
  readonly lowSpeedTimeMs?: number;
  /** further credentials to use for this registry */
  readonly credentials: readonly Credentials[];
  readonly where: SourcePosition;
}

export const DEFAULT_MAX_CONCURRENCY = 4;
export const DEFAULT_PULL_RESERVE = 0;
export const DEFAULT_CERTS_DIR = '/etc/skopeo/certs.d';
export const DEFAULT_LISTER_MAX_ITEMS = 100;
export const DEFAULT_LISTER_CACHE_MS = 3_600_000;
export const MIN_INTERVAL_SECONDS = 30;
export const MIN_AUTH_REFRESH_MS = 3_600_000;
