import { basename, dirname } from 'node:path';
import { isFerryError } from '../errors.js';
import { DOCKER_HUB } from '../ref/docker-hub.js';
import { loadCertsDir } from '../registry/transport/certs-dir.js';
import type { Diagnostics } from './diagnostics.js';
import { registrySettingsFor, tlsDirFor } from './resolve.js';
import type { FerryConfig, LocationConfig } from './types.js';

/**
 * The checks that read files the config points at, made when the config is loaded so that no run finds them out
 * after it has started talking to registries: every source's and target's TLS directory is read as its connection
 * would read it (CA files that are not PEM, a client certificate without its key, a key that does not match,
 * an unreadable directory). Each problem is reported once, at the first task or `registries:` entry that uses it.
 */
export async function checkReferencedFiles(d: Diagnostics, config: FerryConfig): Promise<void> {
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

/** The `loadCertsDir(root, name)` call a location's connection makes (see connectRegistry). */
function certsLookup(config: FerryConfig, loc: LocationConfig): { root: string; name: string } {
  const tls = tlsDirFor(config, loc);
  if ('certDir' in tls) return { root: dirname(tls.certDir), name: basename(tls.certDir) };
  return { root: tls.certsDir, name: loc.canonical === DOCKER_HUB ? DOCKER_HUB : new URL(loc.endpoint).host };
}
