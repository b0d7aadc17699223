import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../errors.js';
import { canonicalRegistry } from '../ref/docker-hub.js';
import { credentialsFromAuthEntry, DockerConfigFile, findKey, helperServerUrl } from './docker-config.js';
import { getFromHelper, makeRunProgram, type RunProgram } from './helper.js';
import type { CredentialProvider, Credentials } from './types.js';

export interface DockerConfigProviderOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** reads a file as UTF-8; throws ENOENT when missing */
  readFile?: (path: string) => Promise<string>;
  run?: RunProgram;
  homeDir?: string;
  /** how long an answer (from a file or a helper) is reused; default 5 minutes */
  cacheMs?: number;
  now?: () => number;
}

/** The Docker config path: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json');
}

/**
 * Reads and checks a Docker config file: undefined when it does not exist; FerryError CREDENTIALS_INVALID when it
 * cannot be read, is not JSON, or has an unexpected shape (messages never quote the file, which holds secrets).
 */
export async function readDockerConfigFile(path: string, readFile: (path: string) => Promise<string> = async (p) => readFileSync(p, 'utf8')): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FerryError('CREDENTIALS_INVALID', `cannot read the Docker config ${path}: ${(e as NodeJS.ErrnoException).code ?? 'read error'}`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which holds secrets: say only that it is broken
    throw new FerryError('CREDENTIALS_INVALID', `the Docker config ${path} is not valid JSON: fix or remove it, or give the task an auth:`, { file: path });
  }
  const parsed = DockerConfigFile.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    throw new FerryError('CREDENTIALS_INVALID', `the Docker config ${path} has an unexpected shape at "${where}"`, { file: path });
  }
  return parsed.data;
}

/**
 * Credentials from the Docker config, looked up in docker-cli's order: `credHelpers[<host>]`, then `credsStore`,
 * then `auths` (also consulted when the store has nothing). A missing config file means no credentials.
 */
export function dockerConfigProvider(opts: DockerConfigProviderOptions = {}): CredentialProvider {
  const env = opts.env ?? process.env;
  const readFile = opts.readFile ?? (async (p: string) => readFileSync(p, 'utf8'));
  const run = opts.run ?? makeRunProgram(env);
  const cacheMs = opts.cacheMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const path = dockerConfigPath(env, opts.homeDir ?? homedir());
  const cache = new Map<string, { at: number; value: Promise<Credentials | undefined> }>();

  const loadFile = () => readDockerConfigFile(path, readFile);

  async function lookup(registry: string): Promise<Credentials | undefined> {
    const file = await loadFile();
    if (!file) return undefined;
    const helperKey = findKey(file.credHelpers, registry);
    if (helperKey !== undefined) {
      const name = file.credHelpers?.[helperKey] ?? '';
      return getFromHelper(name, helperServerUrl(registry, helperKey), run);
    }
    const authKey = findKey(file.auths, registry);
    if (file.credsStore) {
      const c = await getFromHelper(file.credsStore, helperServerUrl(registry, authKey), run);
      if (c) return c;
    }
    const entry = authKey === undefined ? undefined : file.auths?.[authKey];
    return entry ? credentialsFromAuthEntry(entry) : undefined;
  }

  return {
    get(registryCanonical) {
      const key = canonicalRegistry(registryCanonical);
      const hit = cache.get(key);
      if (hit && now() - hit.at < cacheMs) return hit.value;
      const value = lookup(key);
      cache.set(key, { at: now(), value });
      value.catch(() => cache.delete(key));
      return value;
    },
  };
}
