import { access, constants } from 'node:fs/promises';
import { basename, delimiter, dirname, join } from 'node:path';
import { findKey } from '../credentials/docker-config.js';
import { readDockerConfigFile } from '../credentials/provider.js';
import { isFerryError } from '../errors.js';
import { DOCKER_HUB } from '../ref/docker-hub.js';
import { loadCertsDir } from '../registry/transport/certs-dir.js';
import type { Diagnostics } from './diagnostics.js';
import { registrySettingsFor, tlsDirFor } from './resolve.js';
import type { FerryConfig, LocationConfig } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The checks that read files the config points at, made when the config is loaded so that no run finds them out
 * after it has started talking to registries:
 * - every source's and target's TLS directory is read as its connection would read it (CA files that are not PEM,
 *   a client certificate without its key, a key that does not match, an unreadable directory);
 * - for sources and targets without `auth:`, the Docker config (`$DOCKER_CONFIG/config.json`, else
 *   `$HOME/.docker/config.json`) must be readable JSON, and a credential helper it names for them must be on PATH.
 *   Helpers are not run. With neither variable set (tests), the Docker config is not looked at.
 * Each problem is reported once, at the first task or `registries:` entry that uses it.
 */
export async function checkReferencedFiles(d: Diagnostics, config: FerryConfig, env: Env): Promise<void> {
  await checkTlsDirectories(d, config);
  await checkDockerConfig(d, config, env);
}

async function checkTlsDirectories(d: Diagnostics, config: FerryConfig): Promise<void> {
  const checked = new Set<string>();
  for (const task of config.tasks) {
    for (const role of ['source', 'target'] as const) {
      const loc = task[role];
      const { root, name } = certsLookup(config, loc);
      const key = `${root}\u0000${name}`;
      if (checked.has(key)) continue;
      checked.add(key);
      try {
        await loadCertsDir(root, name);
      } catch (e) {
        if (!isFerryError(e, 'CONFIG_INVALID')) throw e;
        const settings = registrySettingsFor(config, loc.canonical);
        if (settings.certsDir) {
          d.error(settings.where.line, `registries.${settings.name}.certs-dir`, `${e.message}: fix the file or the directory, or point certs-dir elsewhere`, 'certs');
        } else {
          d.error(loc.where.line, `tasks[${task.index}].${role}`, `the TLS files for ${loc.canonical} (in skopeo.certs-dir ${config.certsDir}): ${e.message}: fix or remove the file`, 'certs');
        }
      }
    }
  }
}

async function checkDockerConfig(d: Diagnostics, config: FerryConfig, env: Env): Promise<void> {
  const users = config.tasks.flatMap((task) =>
    (['source', 'target'] as const)
      // a source whose registry lists credentials: pulls with those accounts, never the Docker config
      .filter((role) => task[role].credentials.kind === 'docker-config' && !(role === 'source' && registrySettingsFor(config, task.source.canonical).credentials.length > 0))
      .map((role) => ({ task, role, loc: task[role] })),
  );
  const first = users[0];
  const dir = env.DOCKER_CONFIG || (env.HOME ? join(env.HOME, '.docker') : undefined);
  if (!first || !dir) return;
  const path = join(dir, 'config.json');
  const where = (u: typeof first) => `tasks[${u.task.index}].${u.role}`;
  let file;
  try {
    file = await readDockerConfigFile(path);
  } catch (e) {
    if (!isFerryError(e, 'CREDENTIALS_INVALID')) throw e;
    d.error(first.loc.where.line, where(first), e.message, 'docker-config');
    return;
  }
  if (!file) return;
  const reported = new Set<string>();
  for (const u of users) {
    const helperKey = findKey(file.credHelpers, u.loc.canonical);
    const helper = helperKey !== undefined ? file.credHelpers?.[helperKey] : file.credsStore;
    if (!helper || reported.has(helper)) continue;
    reported.add(helper);
    const program = `docker-credential-${helper}`;
    if (!(await onPath(program, env.PATH ?? ''))) {
      d.error(
        u.loc.where.line,
        where(u),
        `no auth: here, so credentials for ${u.loc.canonical} come from the Docker config ${path}, which names the credential helper ${program}, and it is not on PATH: install it, remove it from the Docker config, or give this ${u.role} an auth:`,
        'docker-config',
      );
    }
  }
}

async function onPath(program: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** The `loadCertsDir(root, name)` call a location's connection makes (see connectRegistry). */
function certsLookup(config: FerryConfig, loc: LocationConfig): { root: string; name: string } {
  const tls = tlsDirFor(config, loc);
  if ('certDir' in tls) return { root: dirname(tls.certDir), name: basename(tls.certDir) };
  return { root: tls.certsDir, name: loc.canonical === DOCKER_HUB ? DOCKER_HUB : new URL(loc.endpoint).host };
}
