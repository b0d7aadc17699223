/**
 * skopeo (1.9.x, `docker://` transport) wrappers that never touch the
 * network beyond the given loopback registry and never read the user's
 * policy, registries.conf or auth files:
 * `--insecure-policy`, `--registries-conf <empty>`, `--registries.d <empty dir>`,
 * `--authfile <empty>` and explicit `--creds`/`--no-creds`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryHandle } from './registry.js';

export const SKOPEO_BIN = process.env.FERRY_TEST_SKOPEO_BIN ?? 'skopeo';

/** How to reach one registry. */
export interface SkopeoEndpoint {
  /** Default true. Must be false for plain-HTTP registries. */
  tlsVerify?: boolean;
  /** Omitted or 'anonymous' = `--no-creds`. */
  creds?: { username: string; password: string } | 'anonymous';
  /** Per-host certs dir (ca.crt, client.cert, client.key), see RegistryHandle.certsDir. */
  certDir?: string;
}

let sandbox: { dir: string; registriesConf: string; registriesD: string; authFile: string; tmp: string } | undefined;
function env(): NonNullable<typeof sandbox> {
  if (sandbox) return sandbox;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-skopeo-'));
  const s = {
    dir,
    registriesConf: join(dir, 'registries.conf'),
    registriesD: join(dir, 'registries.d'),
    authFile: join(dir, 'auth.json'),
    tmp: join(dir, 'tmp'),
  };
  writeFileSync(s.registriesConf, '');
  writeFileSync(s.authFile, '{"auths":{}}\n');
  mkdirSync(s.registriesD);
  mkdirSync(s.tmp);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  sandbox = s;
  return s;
}

/** Run skopeo with the sandbox globals; rejects with an error including stderr. */
export function runSkopeo(args: string[], timeoutMs = 60_000): Promise<{ stdout: Buffer; stderr: string }> {
  const s = env();
  const full = ['--insecure-policy', '--registries-conf', s.registriesConf, '--registries.d', s.registriesD,
    '--tmpdir', s.tmp, ...args];
  return new Promise((resolve, reject) => {
    execFile(SKOPEO_BIN, full, {
      encoding: 'buffer', maxBuffer: 64 << 20, timeout: timeoutMs,
      env: { ...process.env, CONTAINERS_REGISTRIES_CONF: s.registriesConf, REGISTRY_AUTH_FILE: s.authFile },
    }, (err, stdout, stderr) => {
      const errText = stderr.toString('utf8');
      if (err) reject(new Error(`skopeo ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${errText}`));
      else resolve({ stdout, stderr: errText });
    });
  });
}

const docker = (ref: string): string => (ref.includes('://') ? ref : `docker://${ref}`);

/** Flags for one endpoint; `prefix` is '' (inspect/list-tags), 'src-' or 'dest-' (copy). */
function endpointFlags(e: SkopeoEndpoint, prefix: '' | 'src-' | 'dest-'): string[] {
  const f = [`--${prefix}tls-verify=${e.tlsVerify ?? true}`, `--${prefix}authfile`, env().authFile];
  if (e.certDir) f.push(`--${prefix}cert-dir`, e.certDir);
  if (e.creds && e.creds !== 'anonymous') f.push(`--${prefix}creds`, `${e.creds.username}:${e.creds.password}`);
  else f.push(`--${prefix}no-creds`);
  return f;
}

/**
 * Endpoint settings for a harness registry: TLS verified against its CA (a
 * certs dir is laid out in its temp dir, with the client pair for mTLS),
 * its default user's credentials unless `anonymous`.
 */
export async function skopeoEndpointFor(reg: RegistryHandle, o: { anonymous?: boolean; client?: boolean } = {}): Promise<SkopeoEndpoint> {
  const e: SkopeoEndpoint = { tlsVerify: reg.tls };
  if (reg.tls) e.certDir = await reg.certsDir(join(reg.dir, 'certs.d'), { client: o.client ?? true });
  if (!o.anonymous && reg.username !== undefined && reg.password !== undefined) {
    e.creds = { username: reg.username, password: reg.password };
  }
  return e;
}

/** `skopeo inspect --raw docker://ref` → the exact manifest bytes. */
export async function skopeoInspectRaw(ref: string, e: SkopeoEndpoint = {}): Promise<Buffer> {
  return (await runSkopeo(['inspect', '--raw', ...endpointFlags(e, ''), docker(ref)])).stdout;
}

/** `skopeo inspect --config --raw` → the exact config blob bytes. */
export async function skopeoInspectConfigRaw(ref: string, e: SkopeoEndpoint = {}): Promise<Buffer> {
  return (await runSkopeo(['inspect', '--config', '--raw', ...endpointFlags(e, ''), docker(ref)])).stdout;
}

/** `skopeo list-tags docker://repoRef` → tag names (in registry order). */
export async function skopeoListTags(repoRef: string, e: SkopeoEndpoint = {}): Promise<string[]> {
  const out = await runSkopeo(['list-tags', ...endpointFlags(e, ''), docker(repoRef)]);
  return (JSON.parse(out.stdout.toString('utf8')) as { Tags: string[] | null }).Tags ?? [];
}

export interface SkopeoCopyOptions {
  src?: SkopeoEndpoint;
  dest?: SkopeoEndpoint;
  /** `--all` (copy every image of an index). Default true. */
  all?: boolean;
  /** `--preserve-digests` (fail rather than convert). Default true. */
  preserveDigests?: boolean;
  /** `--format oci|v2s2` (forces conversion; disables preserveDigests). */
  format?: 'oci' | 'v2s2';
}

/** `skopeo copy docker://src docker://dest`. */
export async function skopeoCopy(src: string, dest: string, o: SkopeoCopyOptions = {}): Promise<void> {
  const args = ['copy', '--quiet', ...endpointFlags(o.src ?? {}, 'src-'), ...endpointFlags(o.dest ?? {}, 'dest-')];
  if (o.all ?? true) args.push('--all');
  if (o.format) args.push('--format', o.format);
  else if (o.preserveDigests ?? true) args.push('--preserve-digests');
  await runSkopeo([...args, docker(src), docker(dest)], 300_000);
}
