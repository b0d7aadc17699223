import { dirname } from 'node:path';
import { mapRepository } from '../filter/mapping.js';
import { canonicalRegistry } from '../ref/docker-hub.js';
import {
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_PULL_RESERVE,
  type FerryConfig,
  type LocationConfig,
  type MappingConfig,
  type RegistrySettings,
} from './types.js';

/** The `registries:` entry for a registry (any alias), or the defaults. */
export function registrySettingsFor(config: FerryConfig, registry: string): RegistrySettings {
  const canonical = canonicalRegistry(registry);
  return (
    config.registries[canonical] ?? {
      name: registry,
      canonical,
      skipTlsVerify: false,
      maxConcurrency: DEFAULT_MAX_CONCURRENCY,
      pullReserve: DEFAULT_PULL_RESERVE,
      credentials: [],
      where: { file: config.file, line: 0 },
    }
  );
}

/**
 * Where a location's TLS files are: a registry's own `certs-dir` holds them directly (skopeo's --cert-dir);
 * otherwise they are under the root (dregsy's `skopeo.certs-dir`) in `<root>/<host:port>` or `<root>/<host>`
 * (docker's layout and dregsy's; both are looked up, host:port first).
 */
export function tlsDirFor(config: FerryConfig, loc: LocationConfig): { certDir: string } | { certsDir: string } {
  const settings = registrySettingsFor(config, loc.canonical);
  return !settings.certsDir && dirname(loc.certsDir) === config.certsDir ? { certsDir: config.certsDir } : { certDir: loc.certsDir };
}

function withPrefix(loc: LocationConfig, repository: string): string {
  return loc.repositoryPrefix ? `${loc.repositoryPrefix}/${repository}` : repository;
}

/**
 * The source repository path for a mapping's repository (a plain `from`, or a listed name its regex matched),
 * with the source registry's path prefix. Docker Hub's `library/` is not added here (ref parsing does that).
 */
export function sourceRepository(source: LocationConfig, repository: string): string {
  return withPrefix(source, repository);
}

/** The target repository for a source repository, per the mapping's `to` and the target's path prefix. */
export function targetRepository(target: LocationConfig, mapping: MappingConfig, repository: string): string {
  return withPrefix(target, mapRepository(mapping.from, mapping.to, repository));
}
