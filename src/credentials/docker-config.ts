import * as z from 'zod/mini';
import { canonicalRegistry, DOCKER_HUB } from '../ref/docker-hub.js';
import '../zod-messages.js';
import { basicCredentials, tokenCredentials, type Credentials } from './types.js';

/** Docker's `config.json`, the parts ferry reads (docker/cli `configfile/file.go`, `types/authconfig.go`). */
export const DockerConfigFile = z.looseObject({
  auths: z.optional(
    z.record(
      z.string(),
      z.looseObject({
        auth: z.optional(z.string()),
        username: z.optional(z.string()),
        password: z.optional(z.string()),
        identitytoken: z.optional(z.string()),
      }),
    ),
  ),
  credsStore: z.optional(z.string()),
  credHelpers: z.optional(z.record(z.string(), z.string())),
});
export type DockerConfigFile = z.infer<typeof DockerConfigFile>;

/** The server URL Docker uses for Docker Hub, in `auths` keys and towards credential helpers. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

/**
 * Normalises an `auths`/`credHelpers` key to a canonical registry name: scheme and path removed, lower-cased,
 * Docker Hub's names (`https://index.docker.io/v1/`, `docker.io`, `registry-1.docker.io`, …) become `docker.io`.
 */
export function normalizeAuthKey(key: string): string {
  let k = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  return canonicalRegistry(k);
}

/** The server URL to hand a credential helper for a registry. */
export function helperServerUrl(registryCanonical: string, configuredKey?: string): string {
  if (canonicalRegistry(registryCanonical) === DOCKER_HUB) return DOCKER_HUB_SERVER_URL;
  return configuredKey ?? registryCanonical;
}

/** Finds the key in a record whose normalised form names the registry; an exact key wins. */
export function findKey(record: Readonly<Record<string, unknown>> | undefined, registryCanonical: string): string | undefined {
  if (!record) return undefined;
  const want = canonicalRegistry(registryCanonical);
  if (Object.hasOwn(record, want)) return want;
  return Object.keys(record).find((k) => normalizeAuthKey(k) === want);
}

/**
 * Credentials from an `auths` entry: `identitytoken`, else `auth` (base64 "user:password", split at the first
 * colon, NULs trimmed from the password), else `username`/`password`. Undefined for an empty entry (a marker
 * that a credential store holds the secret) or an `auth` without a colon (skipped, as containers/image does).
 */
export function credentialsFromAuthEntry(entry: NonNullable<DockerConfigFile['auths']>[string]): Credentials | undefined {
  if (entry.identitytoken) return tokenCredentials(entry.identitytoken);
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    return basicCredentials(decoded.slice(0, colon), decoded.slice(colon + 1).replace(/^\0+|\0+$/g, ''));
  }
  if (entry.username) return basicCredentials(entry.username, entry.password ?? '');
  return undefined;
}
