/**
 * Start a real CNCF distribution registry (Debian `docker-registry` 2.8.2) on
 * a free loopback port, with optional htpasswd / token auth and TLS / mTLS.
 *
 * Each registry lives in its own temp dir (removed on stop). A process 'exit'
 * hook SIGKILLs any registry still running, so none outlives the test process.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { layoutCertsDir, makeTestPki } from './certs.js';
import type { TestPki } from './certs.js';
import { startTokenServer } from './token-server.js';
import type { AccessRule, TokenServerHandle, TokenServerOptions } from './token-server.js';

export const REGISTRY_BIN = process.env.FERRY_TEST_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  auth?: RegistryAuth;
  tls?: boolean;
  /** Require client certificates (implies tls). The client pair is in `pki`. */
  mtls?: boolean;
  /** username → password. Default: one user `ferry` with a random password. */
  users?: Record<string, string>;
  /** `http.relativeurls: true` (relative Location headers). */
  relativeUrls?: boolean;
  /** Token server tuning (auth: 'token' only); `dir` and `users` are filled in. */
  token?: Omit<Partial<TokenServerOptions>, 'dir' | 'users'> & { acl?: Record<string, AccessRule> };
  /** Extra YAML appended verbatim to the config (top-level sections). */
  extraConfig?: string;
  /** Startup timeout in ms (default 10000). */
  startTimeoutMs?: number;
}

/** One access-log line (combined log format on the registry's stdout). */
export interface AccessEntry {
  method: string;
  /** Request target as sent (path + query). */
  path: string;
  status: number;
  bytes: number;
  userAgent: string;
}

export interface RegistryHandle {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  port: number;
  dir: string;
  tls: boolean;
  auth: RegistryAuth;
  caCertPath?: string;
  pki?: TestPki;
  /** undici dispatcher trusting the CA (and presenting the client cert under mTLS). */
  dispatcher: Dispatcher;
  /** First user (htpasswd/token). */
  username?: string;
  password?: string;
  users: Record<string, string>;
  tokenServer?: TokenServerHandle;
  /** Write `<baseDir>/127.0.0.1:PORT/{ca.crt,client.cert,client.key}`; returns the per-host dir. */
  certsDir(baseDir: string, opts?: { client?: boolean }): Promise<string>;
  /** Parsed access log so far. Waits `settleMs` (default 100) first: lines are written after the response. */
  accessLog(settleMs?: number): Promise<AccessEntry[]>;
  /**
   * The access log once `done(entries)` holds, checked as lines arrive (they are written after the response).
   * Rejects, showing the log, when it does not hold within `limitMs` (a safety net, default 10 s).
   */
  accessLogUntil(done: (entries: AccessEntry[]) => boolean, limitMs?: number): Promise<AccessEntry[]>;
  /** Everything the registry wrote to stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Running registries → their temp dir (removed by the exit hook if stop() was never called). */
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = (): void => {
    for (const [child, dir] of live) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
      try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
    live.clear();
  };
  process.on('exit', cleanup);
  // 'exit' does not run when a signal kills us: clean up, then re-raise if nobody else handles it.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanup();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/** Find a free TCP port on `host` by binding port 0 (tiny race: the caller retries on EADDRINUSE). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const ACCESS_RE = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"/;

/** Parse distribution's (gorilla) combined-log-format access lines. */
export function parseAccessLog(text: string): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const line of text.split('\n')) {
    const m = ACCESS_RE.exec(line);
    if (!m) continue;
    out.push({ method: m[1]!, path: m[2]!, status: Number(m[3]), bytes: m[4] === '-' ? 0 : Number(m[4]), userAgent: m[5]! });
  }
  return out;
}

function buildConfig(o: {
  dir: string; port: number; auth: RegistryAuth; pki?: TestPki; mtls: boolean; relativeUrls: boolean;
  tokenServer?: TokenServerHandle; extra?: string;
}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  formatter: text',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(o.dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${o.port}`,
    '  secret: ferry-test-fixed-http-secret',
    `  relativeurls: ${o.relativeUrls}`,
  ];
  if (o.pki) {
    lines.push('  tls:', `    certificate: ${o.pki.serverCertPath}`, `    key: ${o.pki.serverKeyPath}`);
    if (o.mtls) lines.push('    clientcas:', `      - ${o.pki.caCertPath}`);
  }
  if (o.auth === 'htpasswd') {
    lines.push('auth:', '  htpasswd:', '    realm: ferry-test-realm', `    path: ${join(o.dir, 'htpasswd')}`);
  } else if (o.auth === 'token' && o.tokenServer) {
    const t = o.tokenServer;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`,
      `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertPath}`);
  }
  return lines.join('\n') + '\n' + (o.extra ?? '');
}

/** Start a registry and wait until `GET /v2/` answers 200 or 401. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryHandle> {
  installExitHook();
  const auth = opts.auth ?? 'none';
  const tls = Boolean(opts.tls || opts.mtls);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-registry-'));
  const users = opts.users ?? { ferry: randomBytes(12).toString('hex') };
  const [username, password] = Object.entries(users)[0] ?? [];
  let pki: TestPki | undefined;
  let tokenServer: TokenServerHandle | undefined;
  let dispatcher: Agent | undefined;
  try {
    if (tls) pki = await makeTestPki(join(dir, 'pki'), { client: true });
    if (auth === 'htpasswd') {
      const entries = Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 4).replace(/^\$2[ab]\$/, '$2y$')}`);
      await writeFile(join(dir, 'htpasswd'), entries.join('\n') + '\n');
    }
    if (auth === 'token') tokenServer = await startTokenServer({ ...opts.token, dir: join(dir, 'token'), users });
    dispatcher = new Agent(pki ? {
      connect: {
        ca: await readFile(pki.caCertPath),
        ...(opts.mtls && pki.clientCertPath && pki.clientKeyPath
          ? { cert: await readFile(pki.clientCertPath), key: await readFile(pki.clientKeyPath) } : {}),
      },
    } : {});

    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      await writeFile(join(dir, 'config.yml'), buildConfig({
        dir, port, auth, mtls: Boolean(opts.mtls), relativeUrls: Boolean(opts.relativeUrls),
        ...(pki ? { pki } : {}), ...(tokenServer ? { tokenServer } : {}), ...(opts.extraConfig ? { extra: opts.extraConfig } : {}),
      }));
      try {
        return await launch({ dir, port, auth, tls, pki, users, username, password, tokenServer, dispatcher,
          timeoutMs: opts.startTimeoutMs ?? 10_000 });
      } catch (err) {
        lastError = err;
        if (!/address already in use/i.test(String(err))) break;
      }
    }
    throw lastError;
  } catch (err) {
    await tokenServer?.stop();
    await dispatcher?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface LaunchArgs {
  dir: string; port: number; auth: RegistryAuth; tls: boolean; pki: TestPki | undefined;
  users: Record<string, string>; username: string | undefined; password: string | undefined;
  tokenServer: TokenServerHandle | undefined; dispatcher: Agent; timeoutMs: number;
}

async function launch(a: LaunchArgs): Promise<RegistryHandle> {
  const child = spawn(REGISTRY_BIN, ['serve', join(a.dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(child, a.dir);
  let stdout = '';
  let stderr = '';
  const onStdout: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; for (const f of onStdout) f(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => { exited = true; live.delete(child); resolve(); });
    child.once('error', (e) => { stderr += `\nspawn error: ${e.message}`; exited = true; live.delete(child); resolve(); });
  });
  const host = `127.0.0.1:${a.port}`;
  const url = `${a.tls ? 'https' : 'http'}://${host}`;

  const kill = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 3000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + a.timeoutMs;
  let lastErr = '';
  for (;;) {
    if (exited) {
      throw new Error(`docker-registry exited before becoming ready (exit ${child.exitCode}). stderr:\n${stderr}`);
    }
    try {
      const res = await request(`${url}/v2/`, { dispatcher: a.dispatcher, headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200 || res.statusCode === 401) break;
      lastErr = `status ${res.statusCode}`;
    } catch (err) {
      lastErr = String(err);
    }
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`docker-registry on ${host} not ready after ${a.timeoutMs} ms (${lastErr}). stderr:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  let stopped = false;
  return {
    host, url, port: a.port, dir: a.dir, tls: a.tls, auth: a.auth,
    ...(a.pki ? { caCertPath: a.pki.caCertPath, pki: a.pki } : {}),
    ...(a.auth !== 'none' ? { username: a.username, password: a.password } : {}),
    ...(a.tokenServer ? { tokenServer: a.tokenServer } : {}),
    users: a.users,
    dispatcher: a.dispatcher,
    async certsDir(baseDir, o = {}) {
      if (!a.pki) throw new Error('certsDir: registry was started without tls');
      return layoutCertsDir(baseDir, host, a.pki, { client: o.client ?? false });
    },
    async accessLog(settleMs = 100) {
      if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
      return parseAccessLog(stdout);
    },
    accessLogUntil(done, limitMs = 10_000) {
      return new Promise<AccessEntry[]>((resolve, reject) => {
        const check = (): void => {
          const entries = parseAccessLog(stdout);
          if (!done(entries)) return;
          clearTimeout(timer);
          onStdout.splice(onStdout.indexOf(check), 1);
          resolve(entries);
        };
        const timer = setTimeout(() => {
          onStdout.splice(onStdout.indexOf(check), 1);
          reject(new Error(`access log of ${host} did not show what was expected within ${limitMs} ms:\n${stdout.slice(-2000)}`));
        }, limitMs);
        onStdout.push(check);
        check();
      });
    },
    stderr: () => stderr,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      await a.tokenServer?.stop();
      await a.dispatcher.close();
      await rm(a.dir, { recursive: true, force: true });
    },
  };
}
