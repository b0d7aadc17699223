/**
 * Docker-style per-registry TLS directories (registry-protocol.md §6.3): `<root>/<host[:port]>/` where
 *
 * - every `*.crt` is a CA certificate (to add to the system roots),
 * - `X.cert` + `X.key` is a client certificate and its key.
 *
 * `<root>/<host:port>` is tried first, then `<root>/<host>` (dregsy passes the host without the port); the first
 * directory that exists is used alone. A missing directory gives `{}`.
 */
import { readdir as fsReaddir, readFile as fsReadFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { FerryError } from '../../errors.js';

export interface TlsMaterial {
  /** PEM contents of each `*.crt`, in file-name order */
  ca?: string[];
  /** PEM client certificate (`X.cert`) */
  cert?: string;
  /** PEM private key (`X.key`) */
  key?: string;
  /** the directory the material came from */
  dir?: string;
}

/** The file-system calls the loader needs (defaults to `node:fs/promises`), so tests can substitute them. */
export interface CertsDirFs {
  readdir(path: string): Promise<string[]>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
}

const nodeFs: CertsDirFs = {
  readdir: (p) => fsReaddir(p),
  readFile: (p, enc) => fsReadFile(p, enc),
};

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** `host:port` → [`host:port`, `host`]; `[::1]:5000` → [`[::1]:5000`, `[::1]`]; `host` → [`host`]. */
function candidateNames(hostPort: string): string[] {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(hostPort);
  return m && m[1] ? [hostPort, m[1]] : [hostPort];
}

/**
 * Loads the TLS material for `hostPort` from `root` (e.g. `/etc/docker/certs.d`).
 * Throws FerryError('CONFIG_INVALID') for an unsafe host name, an unreadable directory or file, a lone `.cert` or
 * `.key`, a file that is not PEM, or a key that does not match its certificate. When several client pairs exist,
 * the first in file-name order is used.
 */
export async function loadCertsDir(root: string, hostPort: string, fs: CertsDirFs = nodeFs): Promise<TlsMaterial> {
  if (hostPort === '' || hostPort === '.' || hostPort === '..' || /[/\\\0]/.test(hostPort)) {
    throw new FerryError('CONFIG_INVALID', `cannot look up certificates for "${hostPort}": not a host[:port]`, {
      registry: hostPort,
    });
  }
  for (const name of candidateNames(hostPort)) {
    const dir = join(root, name);
    let entries: string[];
    try {
      entries = await fs.readdir(dir);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new FerryError('CONFIG_INVALID', `cannot read certificate directory ${dir}: ${String(e)}`, {
        registry: hostPort,
        file: dir,
      }, { cause: e });
    }
    return await loadDir(dir, [...entries].sort(), fs, hostPort);
  }
  return {};
}

async function loadDir(dir: string, entries: string[], fs: CertsDirFs, hostPort: string): Promise<TlsMaterial> {
  const read = async (file: string): Promise<string> => {
    const path = join(dir, file);
    try {
      return await fs.readFile(path, 'utf8');
    } catch (e) {
      throw new FerryError('CONFIG_INVALID', `cannot read ${path}: ${String(e)}`, { registry: hostPort, file: path }, {
        cause: e,
      });
    }
  };
  const invalid = (file: string, what: string): FerryError =>
    new FerryError('CONFIG_INVALID', `${join(dir, file)} ${what}`, { registry: hostPort, file: join(dir, file) });

  const out: TlsMaterial = { dir };
  const ca: string[] = [];
  const names = new Set(entries);
  let pair: { cert: string; key: string } | undefined;

  for (const file of entries) {
    if (file.endsWith('.crt')) {
      const pem = await read(file);
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw invalid(file, 'is not a PEM certificate (CA files must be PEM, named *.crt)');
      }
      ca.push(pem);
    } else if (file.endsWith('.cert')) {
      const base = file.slice(0, -'.cert'.length);
      if (!names.has(`${base}.key`)) {
        throw invalid(file, `has no matching key ${base}.key (client certificates need a .key; CA certificates should use the extension .crt)`);
      }
      if (!pair) pair = { cert: file, key: `${base}.key` };
    } else if (file.endsWith('.key')) {
      const base = file.slice(0, -'.key'.length);
      if (!names.has(`${base}.cert`)) {
        throw invalid(file, `has no matching certificate ${base}.cert (client keys need a .cert; CA certificates should use the extension .crt)`);
      }
    }
  }
  if (ca.length > 0) out.ca = ca;

  if (pair) {
    const cert = await read(pair.cert);
    const key = await read(pair.key);
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(cert);
    } catch (e) {
      throw invalid(pair.cert, `is not a PEM certificate: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
    } catch (e) {
      throw invalid(pair.key, `cannot be used with ${pair.cert}: ${e instanceof Error ? e.message : String(e)}`);
    }
    out.cert = cert;
    out.key = key;
  }
  return out;
}
