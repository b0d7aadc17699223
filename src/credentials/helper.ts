import { execFile } from 'node:child_process';
import { FerryError } from '../errors.js';
import { basicCredentials, tokenCredentials, type Credentials } from './types.js';

/** Runs a program with an argv and stdin, no shell. Injected so tests can fake it. */
export type RunProgram = (program: string, args: readonly string[], stdin: string) => Promise<{ code: number; stdout: string; stderr: string; notFound?: boolean }>;

/** Runs programs found on `env.PATH` (default: this process's environment), 30 s timeout. */
export function makeRunProgram(env: Readonly<Record<string, string | undefined>> = process.env): RunProgram {
  return (program, args, stdin) => runWith(program, args, stdin, env);
}

export const runProgram: RunProgram = makeRunProgram();

function runWith(program: string, args: readonly string[], stdin: string, env: Readonly<Record<string, string | undefined>>) {
  return new Promise<Awaited<ReturnType<RunProgram>>>((resolve) => {
    const child = execFile(program, [...args], { env: { ...env }, timeout: 30_000, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && e.code === 'ENOENT') resolve({ code: 127, stdout: '', stderr: '', notFound: true });
      else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  });
}

/**
 * `docker-credential-<name> get` (docker-credential-helpers protocol): stdin is the server URL, stdout is
 * `{"ServerURL","Username","Secret"}`; Username `<token>` means Secret is an identity token. "credentials not
 * found" is no credentials, not an error. Helper output never appears in errors.
 */
export async function getFromHelper(name: string, serverUrl: string, run: RunProgram = runProgram): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  const r = await run(program, ['get'], serverUrl);
  if (r.notFound) {
    throw new FerryError('CREDENTIALS_INVALID', `credential helper ${program} is not on PATH (named by credsStore or credHelpers in the Docker config): install it or remove it from the Docker config`, { registry: serverUrl });
  }
  if (r.code !== 0) {
    if (/credentials not found/i.test(r.stdout) || /credentials not found/i.test(r.stderr)) return undefined;
    const why = firstLine(r.stderr) || firstLine(r.stdout);
    throw new FerryError('CREDENTIALS_INVALID', `credential helper ${program} failed for ${serverUrl} (exit code ${r.code})${why && !looksSecret(why) ? `: ${why}` : ''}`, { registry: serverUrl });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new FerryError('CREDENTIALS_INVALID', `credential helper ${program} printed something that is not JSON for ${serverUrl}`, { registry: serverUrl });
  }
  const o = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  const username = typeof o.Username === 'string' ? o.Username : '';
  const secret = typeof o.Secret === 'string' ? o.Secret : '';
  if (secret === '' && username === '') return undefined;
  return username === '<token>' ? tokenCredentials(secret) : basicCredentials(username, secret);
}

function firstLine(s: string): string {
  return (s.trim().split('\n')[0] ?? '').slice(0, 200);
}

function looksSecret(s: string): boolean {
  return /"Secret"|password|token/i.test(s) && s.includes('{');
}
