/**
 * Shared helpers for the benchmark suite: child processes with wall time and peak RSS, medians, skopeo in a
 * sandbox (no policy.json, no registries.conf, no auth file, never the network beyond loopback), machine facts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const TIME_BIN = '/usr/bin/time';
export const hasGnuTime = existsSync(TIME_BIN);

export interface ProcResult {
  wallMs: number;
  /** peak resident set size in bytes (GNU time %M), undefined when /usr/bin/time is missing */
  peakRss?: number;
  stdout: string;
  stderr: string;
  code: number;
}

let scratch: string | undefined;
export function scratchDir(): string {
  if (!scratch) {
    scratch = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
    const dir = scratch;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

let timeSeq = 0;
/** Runs a command to completion, measuring wall time (here) and peak RSS (GNU time, which waits for the child). */
export function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; rss?: boolean; cwd?: string } = {}): Promise<ProcResult> {
  const measure = (o.rss ?? true) && hasGnuTime;
  const timeFile = join(scratchDir(), `time-${++timeSeq}.txt`);
  const [bin, argv] = measure ? [TIME_BIN, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(bin, argv, { env: o.env ?? process.env, cwd: o.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      if (timer) clearTimeout(timer);
      let peakRss: number | undefined;
      if (measure) {
        try {
          const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
          peakRss = Number(lines[lines.length - 1]) * 1024;
          rmSync(timeFile, { force: true });
        } catch {
          /* killed before time wrote it */
        }
      }
      resolve({ wallMs, ...(peakRss !== undefined && Number.isFinite(peakRss) ? { peakRss } : {}), stdout, stderr, code: code ?? -1 });
    });
  });
}

export async function runOk(cmd: string, args: string[], o: Parameters<typeof run>[2] = {}): Promise<ProcResult> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const MiB = 1024 * 1024;
export const fmtMs = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
export const fmtMB = (b: number | undefined): string => (b === undefined || !Number.isFinite(b) ? 'n/a' : `${(b / 1e6).toFixed(0)} MB`);
export const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');

// ---------------------------------------------------------------------------------------------------- skopeo

let skopeoSandbox: { registriesConf: string; registriesD: string; authFile: string; tmp: string } | undefined;
function skopeoEnvFiles(): NonNullable<typeof skopeoSandbox> {
  if (skopeoSandbox) return skopeoSandbox;
  const dir = join(scratchDir(), 'skopeo');
  mkdirSync(join(dir, 'registries.d'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, 'registries.conf'), '');
  writeFileSync(join(dir, 'auth.json'), '{"auths":{}}\n');
  skopeoSandbox = { registriesConf: join(dir, 'registries.conf'), registriesD: join(dir, 'registries.d'), authFile: join(dir, 'auth.json'), tmp: join(dir, 'tmp') };
  return skopeoSandbox;
}

/** skopeo with the same isolation as test/harness/skopeo.ts (insecure policy, empty registries.conf/auth). */
export function skopeo(args: string[], o: { timeoutMs?: number } = {}): Promise<ProcResult> {
  const s = skopeoEnvFiles();
  const full = ['--insecure-policy', '--registries-conf', s.registriesConf, '--registries.d', s.registriesD, '--tmpdir', s.tmp, ...args];
  return runOk('skopeo', full, { env: { ...process.env, CONTAINERS_REGISTRIES_CONF: s.registriesConf, REGISTRY_AUTH_FILE: s.authFile }, timeoutMs: o.timeoutMs ?? 600_000 });
}

/** Plain-HTTP loopback flags for one side ('' for list-tags/inspect, 'src-' / 'dest-' for copy/sync). */
export function skopeoFlags(prefix: '' | 'src-' | 'dest-'): string[] {
  return [`--${prefix}tls-verify=false`, `--${prefix}no-creds`, `--${prefix}authfile`, skopeoEnvFiles().authFile];
}

// ---------------------------------------------------------------------------------------------------- machine

export async function machineInfo(): Promise<Record<string, string>> {
  const sk = await run('skopeo', ['--version'], { rss: false }).catch(() => undefined);
  const reg = await run(process.env.FERRY_TEST_REGISTRY_BIN ?? '/usr/bin/docker-registry', ['--version'], { rss: false }).catch(() => undefined);
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    skopeo: sk?.stdout.trim().replace(/^skopeo version /, '') ?? 'missing',
    registry: reg?.stdout.trim() ?? 'missing',
  };
}
