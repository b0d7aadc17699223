/** Docker Hub's several names, all one registry whose API endpoint is registry-1.docker.io. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
export const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
  'hub.docker.com',
]);

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}

/** The canonical name of a registry: Docker Hub aliases collapse to docker.io, hosts are lower-cased. */
export function canonicalRegistry(registry: string): string {
  const r = registry.toLowerCase();
  return isDockerHub(r) ? DOCKER_HUB : r;
}

/** Official images on Docker Hub live under library/. */
export function normalizeHubRepository(repository: string): string {
  return repository.includes('/') ? repository : `library/${repository}`;
}
