import { FerryError } from '../errors.js';
import { escapeName } from '../safe-text.js';
import { isDigest, type Digest } from './digest.js';
import { canonicalRegistry, DOCKER_HUB, isDockerHub, normalizeHubRepository } from './docker-hub.js';

/** A parsed image reference: where an image lives and which one it is. Immutable. */
export interface ImageRef {
  /** canonical registry name: `docker.io` for every Docker Hub alias, else host[:port] lower-cased */
  readonly registry: string;
  /** repository path, `library/` added for Docker Hub official images */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HOST_RE = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;

export function isValidRepository(repository: string): boolean {
  return repository.length <= 255 && REPOSITORY_RE.test(repository);
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isValidRegistryHost(host: string): boolean {
  return HOST_RE.test(host);
}

/** Throws a REFERENCE_INVALID error naming the repository and the rule it breaks. */
export function assertRepository(repository: string, where = ''): void {
  if (isValidRepository(repository)) return;
  let why = 'use lower-case letters, digits and the separators . _ __ - between them, with / between path components';
  if (repository.startsWith('/')) why = 'it must not start with "/"';
  else if (repository.endsWith('/')) why = 'it must not end with "/"';
  else if (/[A-Z]/.test(repository)) why = 'repository names must be lower case';
  else if (repository.includes('..') || repository.includes('//')) why = 'empty or ".." path components are not allowed';
  else if (repository.length > 255) why = 'it is longer than 255 characters';
  throw new FerryError('REFERENCE_INVALID', `invalid repository name "${escapeName(repository)}"${where}: ${why}`, { repository: escapeName(repository) });
}

export function assertTag(tag: string, where = ''): void {
  if (!isValidTag(tag)) {
    throw new FerryError(
      'REFERENCE_INVALID',
      `invalid tag "${escapeName(tag)}"${where}: a tag is 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"`,
      { reference: escapeName(tag) },
    );
  }
}

/** Whether the first path component names a registry host (docker's rule: has a "." or ":" or is "localhost"). */
function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

/**
 * Parses `[registry[:port]/]repo[:tag][@digest]`. Without a registry, Docker Hub is assumed (as docker does).
 * Without a tag or digest, `latest` is assumed unless `defaultTag` is null.
 */
export function parseReference(input: string, opts: { defaultTag?: string | null } = {}): ImageRef {
  const s = input.trim();
  if (s === '') throw new FerryError('REFERENCE_INVALID', 'empty image reference');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) {
      throw new FerryError('REFERENCE_INVALID', `invalid digest "${escapeName(digest)}" in reference "${escapeName(input)}": expected sha256:<64 lowercase hex>`);
    }
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash > 0 && looksLikeHost(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!isValidRegistryHost(registry)) {
      throw new FerryError('REFERENCE_INVALID', `invalid registry "${escapeName(registry)}" in reference "${escapeName(input)}"`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    assertTag(tag, ` in reference "${escapeName(input)}"`);
  }
  assertRepository(rest, ` in reference "${escapeName(input)}"`);
  const canonical = canonicalRegistry(registry);
  const repository = isDockerHub(canonical) ? normalizeHubRepository(rest) : rest;
  if (tag === undefined && digest === undefined && opts.defaultTag !== null) tag = opts.defaultTag ?? 'latest';
  return makeRef(canonical, repository, tag, digest);
}

function makeRef(registry: string, repository: string, tag?: string, digest?: string): ImageRef {
  const ref: { registry: string; repository: string; tag?: string; digest?: string } = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return Object.freeze(ref);
}

export function repoRef(registry: string, repository: string): ImageRef {
  const canonical = canonicalRegistry(registry);
  return makeRef(canonical, isDockerHub(canonical) ? normalizeHubRepository(repository) : repository);
}

export function withTag(ref: ImageRef, tag: string): ImageRef {
  return makeRef(ref.registry, ref.repository, tag, undefined);
}

export function withDigest(ref: ImageRef, digest: Digest): ImageRef {
  return makeRef(ref.registry, ref.repository, ref.tag, digest);
}

/** What to put in a URL path: the digest when known, else the tag. */
export function referenceOf(ref: ImageRef): string {
  const r = ref.digest ?? ref.tag;
  if (!r) throw new FerryError('REFERENCE_INVALID', `reference ${formatReference(ref)} has neither tag nor digest`);
  return r;
}

export function formatReference(ref: ImageRef): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}
