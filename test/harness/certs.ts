/**
 * Test certificates made with the `openssl` CLI: a throw-away CA, a server
 * certificate for 127.0.0.1/localhost, an optional client certificate (mTLS)
 * and the self-signed ES256 (P-256) certificate a token server signs with.
 *
 * Everything is EC P-256 so generation takes a few milliseconds.
 */
import { execFile } from 'node:child_process';
import { mkdir, copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of the PEM files that make up a test PKI. */
export interface TestPki {
  dir: string;
  caCertPath: string;
  caKeyPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** Present when `client: true` was asked for. */
  clientCertPath?: string;
  clientKeyPath?: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Create a leaf key + CSR and sign it with the CA, with the given extensions. */
async function makeLeaf(dir: string, name: string, subject: string, ext: string): Promise<void> {
  await openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`],
    dir,
  );
}

/**
 * Make a CA and a server certificate with SAN `IP:127.0.0.1, DNS:localhost`
 * (plus `IP:127.0.0.2`) in `dir` (created if missing). With `client: true`
 * also a client certificate signed by the same CA, for mTLS.
 */
export async function makeTestPki(dir: string, opts: { client?: boolean } = {}): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  await openssl(
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-sha256',
      '-subj', '/CN=ferry-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  await makeLeaf(dir, 'server', '/CN=127.0.0.1',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
    'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost\n');
  const pki: TestPki = {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caKeyPath: join(dir, 'ca.key'),
    serverCertPath: join(dir, 'server.crt'),
    serverKeyPath: join(dir, 'server.key'),
  };
  if (opts.client) {
    await makeLeaf(dir, 'client', '/CN=ferry-test-client',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    pki.clientCertPath = join(dir, 'client.crt');
    pki.clientKeyPath = join(dir, 'client.key');
  }
  return pki;
}

/** Make a self-signed ES256 (P-256) certificate + key, e.g. for token signing. */
export async function makeSigningCert(dir: string, name = 'token-signer'): Promise<{ certPath: string; keyPath: string }> {
  await mkdir(dir, { recursive: true });
  await openssl(
    ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-sha256',
      '-subj', `/CN=${name}`],
    dir,
  );
  return { certPath: join(dir, `${name}.crt`), keyPath: join(dir, `${name}.key`) };
}

/**
 * Lay out a Docker/containers style certs directory:
 * `<baseDir>/<host>/ca.crt`, and with a client pair also `client.cert` and
 * `client.key` (note the `.cert` extension that certs.d requires).
 * Returns the per-host directory, which is what `skopeo --cert-dir` expects.
 */
export async function layoutCertsDir(
  baseDir: string,
  host: string,
  pki: Pick<TestPki, 'caCertPath' | 'clientCertPath' | 'clientKeyPath'>,
  opts: { client?: boolean } = {},
): Promise<string> {
  const hostDir = join(baseDir, host);
  await mkdir(hostDir, { recursive: true });
  await copyFile(pki.caCertPath, join(hostDir, 'ca.crt'));
  if (opts.client ?? Boolean(pki.clientCertPath)) {
    if (!pki.clientCertPath || !pki.clientKeyPath) throw new Error('layoutCertsDir: PKI has no client certificate');
    await copyFile(pki.clientCertPath, join(hostDir, 'client.cert'));
    await copyFile(pki.clientKeyPath, join(hostDir, 'client.key'));
  }
  return hostDir;
}
