import { decodeDregsyAuth } from '../credentials/dregsy-auth.js';
import type { ExpandEnv } from '../credentials/expand.js';
import type { Credentials } from '../credentials/types.js';
import { canonicalRegistry } from '../ref/docker-hub.js';
import { isValidRegistryHost } from '../ref/reference.js';
import type { Diagnostics } from './diagnostics.js';
import { AUTH_PLACEHOLDER_HINT, authProblem } from './auth-field.js';
import { MIN_LOW_SPEED_TIME_MS } from '../registry/transport/low-speed.js';
import { hasUserinfoText } from '../registry/transport/http.js';
import { formatDurationMs } from './duration.js';
import { fields, isNull, mismatch, readBool, readDuration, readInt, readMap, readNumber, readString } from './scalars.js';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_PULL_RESERVE, type RegistrySettings } from './types.js';
import type { RawNode } from './yaml-tree.js';

export const REGISTRY_KEYS = ['endpoint', 'skip-tls-verify', 'certs-dir', 'max-concurrency', 'requests-per-second', 'pull-reserve', 'low-speed-limit', 'low-speed-time', 'credentials'] as const;

/** ferry's `registries:` block: registry name → settings. Two names for one registry (Hub aliases) are an error. */
export function readRegistries(d: Diagnostics, n: RawNode | undefined, expand: ExpandEnv): Record<string, RegistrySettings> {
  const out: Record<string, RegistrySettings> = {};
  const m = readMap(d, n, 'registries');
  if (!m) return out;
  for (const e of m.entries) {
    if (e.key.includes('@')) {
      // not repeated: it may be user:password@host
      d.error(e.line, 'registries', `a registry name must not contain credentials (user:password@): name it host[:port] and put them under its credentials:`);
      continue;
    }
    const path = `registries.${e.key}`;
    if (!isValidRegistryHost(e.key)) {
      d.error(e.line, path, `"${e.key}" is not a registry name: use host[:port] such as registry.example.com:5000, without a scheme or path`);
      continue;
    }
    const canonical = canonicalRegistry(e.key);
    const prev = out[canonical];
    if (prev) {
      d.error(e.line, path, `"${e.key}" and "${prev.name}" (line ${prev.where.line}) name the same registry (${canonical}): merge them into one entry`);
      continue;
    }
    const rm = isNull(e.value) ? undefined : readMap(d, e.value, path);
    if (!rm && !isNull(e.value)) continue;
    const f = rm ? fields(d, rm, path, REGISTRY_KEYS) : () => undefined;
    const endpoint = readEndpoint(d, f('endpoint'), `${path}.endpoint`);
    const maxConcurrency = readInt(d, f('max-concurrency'), `${path}.max-concurrency`) ?? DEFAULT_MAX_CONCURRENCY;
    if (maxConcurrency < 1) d.error(f('max-concurrency')?.line ?? e.line, `${path}.max-concurrency`, `max-concurrency must be at least 1, got ${maxConcurrency}`);
    const rps = readNumber(d, f('requests-per-second'), `${path}.requests-per-second`);
    if (rps !== undefined && !(rps > 0)) d.error(f('requests-per-second')?.line ?? e.line, `${path}.requests-per-second`, `requests-per-second must be greater than 0, got ${rps}; omit it for no limit`);
    const pullReserve = readInt(d, f('pull-reserve'), `${path}.pull-reserve`) ?? DEFAULT_PULL_RESERVE;
    if (pullReserve < 0) d.error(f('pull-reserve')?.line ?? e.line, `${path}.pull-reserve`, `pull-reserve must be 0 or more, got ${pullReserve}`);
    const certsDir = readString(d, f('certs-dir'), `${path}.certs-dir`);
    const lowSpeed = readLowSpeed(d, f, path, e.line);
    const settings: RegistrySettings = {
      name: e.key,
      canonical,
      ...(endpoint !== undefined ? { endpoint } : {}),
      skipTlsVerify: readBool(d, f('skip-tls-verify'), `${path}.skip-tls-verify`) ?? false,
      ...(certsDir ? { certsDir } : {}),
      maxConcurrency,
      ...(rps !== undefined ? { requestsPerSecond: rps } : {}),
      pullReserve,
      ...lowSpeed,
      credentials: readCredentialList(d, f('credentials'), `${path}.credentials`, expand),
      where: { file: d.file, line: e.line },
    };
    out[canonical] = settings;
  }
  return out;
}

/** `low-speed-limit` (bytes per second, 0: no limit) and `low-speed-time` (a duration of at least 1s). */
function readLowSpeed(d: Diagnostics, f: (key: string) => RawNode | undefined, path: string, line: number): { lowSpeedLimit?: number; lowSpeedTimeMs?: number } {
  const out: { lowSpeedLimit?: number; lowSpeedTimeMs?: number } = {};
  const limitPath = `${path}.low-speed-limit`;
  const limit = readInt(d, f('low-speed-limit'), limitPath, 'write bytes per second as a whole number, e.g. 1024 for 1 KiB/s, or 0 for no limit');
  if (limit !== undefined && limit < 0) d.error(f('low-speed-limit')?.line ?? line, limitPath, `low-speed-limit must be 0 (no limit) or more bytes per second, got ${limit}`);
  else if (limit !== undefined) out.lowSpeedLimit = limit;
  const timePath = `${path}.low-speed-time`;
  const time = readDuration(d, f('low-speed-time'), timePath);
  const timeNode = f('low-speed-time');
  if (time !== undefined && time.ms < MIN_LOW_SPEED_TIME_MS) {
    const text = timeNode?.kind === 'scalar' ? timeNode.text : '';
    const why = time.bareNumber ? `a bare number is nanoseconds, so ${text} means ${text} ns; write ${text}s` : `got ${formatDurationMs(time.ms)}`;
    d.error(timeNode?.line ?? line, timePath, `low-speed-time must be at least ${formatDurationMs(MIN_LOW_SPEED_TIME_MS)} (the span the rate is averaged over): ${why}`);
  } else if (time !== undefined) out.lowSpeedTimeMs = time.ms;
  return out;
}

function readEndpoint(d: Diagnostics, n: RawNode | undefined, path: string): string | undefined {
  const s = readString(d, n, path);
  if (s === undefined || n === undefined) return undefined;
  // `user:password@` (with or without a scheme) is reported before anything that would repeat the value
  if (hasUserinfoText(s)) {
    d.error(n.line, path, `endpoint must not contain credentials: put them under credentials: or in the task's auth`);
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    d.error(n.line, path, `${s.includes('@') ? 'the endpoint' : `"${s}"`} is not a URL: write http(s)://host[:port], e.g. https://mirror.example.com or http://127.0.0.1:5000`);
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    d.error(n.line, path, `endpoint "${s}" must start with https:// or http://`);
    return undefined;
  }
  if (u.username || u.password) {
    d.error(n.line, path, `endpoint must not contain credentials: put them under credentials: or in the task's auth`);
    return undefined;
  }
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
    d.error(n.line, path, `endpoint "${s}" must be just scheme://host[:port], without a path such as /v2/`);
    return undefined;
  }
  return u.origin;
}

function readCredentialList(d: Diagnostics, n: RawNode | undefined, path: string, expand: ExpandEnv): Credentials[] {
  if (n === undefined || isNull(n)) return [];
  if (n.kind !== 'seq') {
    mismatch(d, n, path, '[]string', 'list auth strings, each like a task auth:');
    return [];
  }
  const out: Credentials[] = [];
  n.items.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const s = readString(d, item, p, AUTH_PLACEHOLDER_HINT);
    if (s === undefined) return;
    try {
      const src = decodeDregsyAuth(s, expand);
      if (src.kind === 'static') out.push(src.credentials);
      else d.error(item.line, p, '"none" is not a credential: remove the entry');
    } catch (e) {
      d.error(item.line, p, authProblem(e));
    }
  });
  return out;
}

