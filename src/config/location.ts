import { isLoopbackHost } from '../registry/transport/loopback.js';
import { join } from 'node:path';
import type { ExpandEnv } from '../credentials/expand.js';
import { canonicalRegistry } from '../ref/docker-hub.js';
import { isValidRegistryHost } from '../ref/reference.js';
import { readAuth } from './auth-field.js';
import type { Diagnostics } from './diagnostics.js';
import { formatDurationMs } from './duration.js';
import { fields, isNull, readBool, readDuration, readMap, readString } from './scalars.js';
import { MIN_AUTH_REFRESH_MS, type EcrInfo, type LocationConfig, type RegistrySettings, type RepositoryListerConfig } from './types.js';
import type { RawNode } from './yaml-tree.js';

export const LOCATION_KEYS = ['registry', 'auth', 'auth-refresh', 'skip-tls-verify', 'lister'] as const;
const LISTER_KEYS = ['type', 'search'] as const;
const LISTER_TYPES = ['catalog', 'dockerhub', 'index', 'harbor'] as const;

export interface LocationContext {
  d: Diagnostics;
  expand: ExpandEnv;
  registries: Readonly<Record<string, RegistrySettings>>;
  certsDir: string;
}

/** A source or target (dregsy `Location`), or undefined when it has errors (they are reported). */
export function readLocation(
  ctx: LocationContext,
  n: RawNode | undefined,
  path: string,
  role: 'source' | 'target',
  taskName: string,
  keyLine: number,
): LocationConfig | undefined {
  const { d } = ctx;
  const invalid = `${role} registry in task '${taskName}' invalid`;
  if (n === undefined || isNull(n)) {
    d.error(keyLine, path, `${invalid}: location is nil; add ${role}: with at least registry:`);
    return undefined;
  }
  const m = readMap(d, n, path);
  if (!m) return undefined;
  const f = fields(d, m, path, LOCATION_KEYS);
  const regNode = f('registry');
  const written = readString(d, regNode, `${path}.registry`, "put the registry's host[:port] here, e.g. harbor.example.com");
  const credentials = readAuth(d, f('auth'), `${path}.auth`, ctx.expand, f.line('auth'));
  const skip = readBool(d, f('skip-tls-verify'), `${path}.skip-tls-verify`) ?? false;
  const refresh = readDuration(d, f('auth-refresh'), `${path}.auth-refresh`);
  const lister = readLister(d, f('lister'), `${path}.lister`);
  if (written === undefined || written.trim() === '') {
    // a placeholder or a type error has been reported already
    if (regNode === undefined || isNull(regNode) || written !== undefined) d.error(regNode?.line ?? m.line, path, `${invalid}: registry not set`);
    return undefined;
  }
  // dregsy: `account:region@public.ecr.aws` supplies ECR account and region; the registry is what follows `@`
  let registry = written.trim();
  let ecr: EcrInfo | undefined;
  const regLine = f('registry')?.line ?? m.line;
  const at = registry.indexOf('@');
  if (at >= 0) {
    const info = ecrLongForm(registry.slice(0, at), registry.slice(at + 1));
    if (!info) {
      // `user:password@host` is not a registry address; the value is not repeated, it may hold a password
      d.error(regLine, `${path}.registry`, `userinfo (user:password@) is not allowed in a registry address: write host[:port] here and put the credentials in auth: (only ECR's <account>:<region>@<ECR host> may use @)`);
      return undefined;
    }
    registry = registry.slice(at + 1);
    ecr = info;
  }
  const slash = registry.indexOf('/');
  const host = slash >= 0 ? registry.slice(0, slash) : registry;
  const repositoryPrefix = slash >= 0 ? registry.slice(slash + 1).replace(/\/+$/, '') : '';
  if (!isValidRegistryHost(host) || /^[a-z]+:\/\//i.test(written)) {
    const scheme = /^([a-z]+):\/\//i.exec(written);
    const hint = scheme ? `remove "${scheme[0]}": ferry uses https, and plain http where a loopback or skip-tls-verify registry does not speak TLS (or set an endpoint under registries:)` : 'write host[:port], e.g. registry.example.com:5000';
    d.error(regLine, `${path}.registry`, `"${written}" is not a registry address: ${hint}`);
    return undefined;
  }
  ecr ??= detectEcr(host);
  if (refresh !== undefined) {
    if (!ecr) d.error(f('auth-refresh')?.line ?? m.line, `${path}.auth-refresh`, `'${written}' wants authentication refresh, but is not an ECR registry`);
    else if (refresh.ms < MIN_AUTH_REFRESH_MS) {
      d.warn(f('auth-refresh')?.line ?? m.line, `${path}.auth-refresh`, `auth-refresh too short, setting to minimum (1h; ${formatDurationMs(refresh.ms)} was given)`);
    }
  }
  if (!credentials) return undefined;
  const canonical = canonicalRegistry(host);
  if (lister?.type === 'dockerhub' && canonical !== 'docker.io') {
    // the Hub API gets the location's credentials: never for another registry's
    d.error(f('lister')?.line ?? m.line, `${path}.lister.type`, `the dockerhub lister lists Docker Hub repositories only, and ${canonical} is not Docker Hub: use type catalog, harbor or index`);
    return undefined;
  }
  const settings = ctx.registries[canonical];
  const hostOnly = hostWithoutPort(host);
  const skipTlsVerify = skip || (settings?.skipTlsVerify ?? false);
  // no scheme means https; plain http only as a fallback, for a loopback host or an insecure registry
  const endpoint = settings?.endpoint ?? (canonical === 'docker.io' ? 'https://registry-1.docker.io' : `https://${host.toLowerCase()}`);
  return {
    registry: written.trim(),
    canonical,
    repositoryPrefix,
    credentials,
    skipTlsVerify,
    endpoint,
    httpFallback: settings?.endpoint === undefined && canonical !== 'docker.io' && (isLoopback(hostOnly) || skipTlsVerify),
    certsDir: settings?.certsDir ?? join(ctx.certsDir, hostOnly.replace(/^\[|\]$/g, '')),
    ...(refresh !== undefined && ecr ? { authRefreshMs: Math.max(refresh.ms, MIN_AUTH_REFRESH_MS) } : {}),
    ...(ecr ? { ecr } : {}),
    ...(lister ? { lister } : {}),
    where: { file: d.file, line: keyLine },
  };
}

function readLister(d: Diagnostics, n: RawNode | undefined, path: string): RepositoryListerConfig | undefined {
  const m = readMap(d, n, path, 'map[string]string');
  if (!m) return undefined;
  const f = fields(d, m, path, LISTER_KEYS);
  const type = readString(d, f('type'), `${path}.type`);
  const search = readString(d, f('search'), `${path}.search`);
  if (type === undefined || type === '') {
    d.error(m.line, path, `no lister type set; use type: catalog, dockerhub, index or harbor`);
    return undefined;
  }
  if (!(LISTER_TYPES as readonly string[]).includes(type)) {
    d.error(f('type')?.line ?? m.line, `${path}.type`, `invalid lister type: ${type}; use catalog, dockerhub, index or harbor`);
    return undefined;
  }
  if (type === 'index' && !search) {
    d.error(m.line, path, `lister type 'index' requires a search term: add search: <term>`);
    return undefined;
  }
  return search ? { type: type as RepositoryListerConfig['type'], search } : { type: type as RepositoryListerConfig['type'] };
}

/**
 * dregsy's `<account>:<region>@<host>` (public ECR): accepted only when the host is an ECR registry and the parts
 * look like an AWS account id (12 digits) and a region (`us-east-1`), either possibly empty as dregsy allows.
 * Anything else before an `@` is userinfo: undefined.
 */
function ecrLongForm(before: string, after: string): EcrInfo | undefined {
  const parts = before.split(':');
  const host = after.split('/')[0] ?? '';
  if (parts.length !== 2 || !detectEcr(host)) return undefined;
  const [account = '', region = ''] = parts;
  if (!/^(\d{12})?$/.test(account) || !/^([a-z]{2}(-[a-z]+)+-\d{1,2})?$/.test(region)) return undefined;
  return { public: true, ...(account ? { account } : {}), ...(region ? { region } : {}) };
}

/** dregsy `IsECR`: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`, or anything ending in public.ecr.aws. */
export function detectEcr(host: string): EcrInfo | undefined {
  const h = hostWithoutPort(host).toLowerCase();
  if (h.endsWith('public.ecr.aws')) return { public: true };
  const p = h.split('.');
  const tail = p.slice(4).join('.');
  if ((p.length === 6 && tail === 'amazonaws.com') || (p.length === 7 && tail === 'amazonaws.com.cn')) {
    if (p[1] === 'dkr' && p[2] === 'ecr' && p[0] && p[3]) return { public: false, account: p[0], region: p[3] };
  }
  return undefined;
}

export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** Whether a host (without port) is this machine; one rule for config and transport. */
export function isLoopback(host: string): boolean {
  return isLoopbackHost(host.toLowerCase());
}
