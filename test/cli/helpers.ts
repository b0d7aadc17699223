/** Running the built CLI (asynchronously: harness servers live in this process) and writing seed-shaped configs. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import type { RegistryHandle } from '../harness/registry.js';

export const BIN = join(import.meta.dirname, '../../bin/ferry.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function ferry(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** dregsy's `auth:` for a harness registry user: base64 of {"username","password"}. */
export function dregsyAuth(reg: RegistryHandle): string {
  return Buffer.from(JSON.stringify({ username: reg.username, password: reg.password })).toString('base64');
}

/**
 * Fills a seed config's placeholders only: `{Token}` (source, then target, per task), `{registry_address}` and
 * `your_registry_project`; then prepends the `registries:` block that points Docker Hub at `hubEndpoint`.
 */
export function fillSeed(seed: string, o: { sourceAuth: string; targetAuth: string; target: string; project: string; hubEndpoint: string }): string {
  let section = '';
  const lines = seed.split('\n').map((line) => {
    const m = /^\s*(source|target):\s*$/.exec(line);
    if (m) section = m[1] as string;
    if (line.includes('{Token}')) return line.replace('{Token}', section === 'source' ? o.sourceAuth : o.targetAuth);
    return line.replace('{registry_address}', o.target).replace('your_registry_project', o.project);
  });
  return `registries:\n  registry.hub.docker.com:\n    endpoint: ${o.hubEndpoint}\n\n${lines.join('\n')}`;
}

async function get(reg: RegistryHandle, path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const auth = reg.username ? { authorization: `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}` } : {};
  const res = await request(`${reg.url}${path}`, {
    method,
    dispatcher: reg.dispatcher,
    headers: { ...auth, accept: 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  const body = method === 'HEAD' ? (await res.body.dump(), '') : await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

export async function tagsOf(reg: RegistryHandle, repo: string): Promise<string[]> {
  const r = await get(reg, `/v2/${repo}/tags/list`);
  if (r.status === 404) return [];
  return ((JSON.parse(r.body) as { tags?: string[] | null }).tags ?? []).sort();
}

export async function catalogOf(reg: RegistryHandle): Promise<string[]> {
  const r = await get(reg, `/v2/_catalog?n=1000`);
  return ((JSON.parse(r.body) as { repositories?: string[] }).repositories ?? []).sort();
}

export async function digestOf(reg: RegistryHandle, repo: string, ref: string): Promise<string | undefined> {
  const r = await get(reg, `/v2/${repo}/manifests/${ref}`, 'HEAD');
  return r.status === 200 ? String(r.headers['docker-content-digest']) : undefined;
}

/** Parsed JSON log lines (LOG_FORMAT=json) from a run's stdout. */
export function jsonLines(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
