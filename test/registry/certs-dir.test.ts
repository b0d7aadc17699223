import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCertsDir, type CertsDirFs } from '../../src/registry/transport/certs-dir.js';
import { isFerryError } from '../../src/errors.js';

let work: string;
let pem: { ca: string; cert: string; key: string; otherKey: string };

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'ferry-certs-'));
  const gen = join(work, 'gen');
  mkdirSync(gen);
  const p = (f: string): string => join(gen, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=ferry test CA');
  openssl('req', ...ec, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=ferry client');
  openssl('x509', '-req', '-in', p('client.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('client.cert'), '-days', '2');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', p('other.key'));
  pem = {
    ca: readFileSync(p('ca.crt'), 'utf8'),
    cert: readFileSync(p('client.cert'), 'utf8'),
    key: readFileSync(p('client.key'), 'utf8'),
    otherKey: readFileSync(p('other.key'), 'utf8'),
  };
});

after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A fresh certs.d root with the given `<dir>/<file>` → content entries. */
function root(files: Record<string, string>): string {
  const r = join(work, `root${n++}`);
  mkdirSync(r);
  for (const [path, content] of Object.entries(files)) {
    const dir = join(r, path.slice(0, path.lastIndexOf('/')));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(r, path), content);
  }
  return r;
}

async function rejectsWith(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isFerryError(e, 'CONFIG_INVALID'), String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

test('missing root or host dir gives {}', async () => {
  assert.deepEqual(await loadCertsDir(join(work, 'nope'), 'reg:5000'), {});
  assert.deepEqual(await loadCertsDir(root({ 'other/ca.crt': 'x' }), 'reg:5000'), {});
});

test('CA and client pair from host:port dir', async () => {
  const r = root({ 'reg.example:5000/ca.crt': pem.ca, 'reg.example:5000/client.cert': pem.cert, 'reg.example:5000/client.key': pem.key });
  assert.deepEqual(await loadCertsDir(r, 'reg.example:5000'), { dir: join(r, 'reg.example:5000'), ca: [pem.ca], cert: pem.cert, key: pem.key });
});

test('host:port dir wins over host dir', async () => {
  const r = root({ 'reg:5000/a.crt': pem.ca, 'reg/b.crt': 'not used' });
  assert.deepEqual(await loadCertsDir(r, 'reg:5000'), { dir: join(r, 'reg:5000'), ca: [pem.ca] });
});

test('falls back to the host dir without port (dregsy layout)', async () => {
  const r = root({ 'reg/ca.crt': pem.ca });
  assert.deepEqual(await loadCertsDir(r, 'reg:5000'), { dir: join(r, 'reg'), ca: [pem.ca] });
});

test('IPv6 host with port falls back to bracketed host', async () => {
  const r = root({ '[::1]/ca.crt': pem.ca });
  assert.deepEqual(await loadCertsDir(r, '[::1]:5000'), { dir: join(r, '[::1]'), ca: [pem.ca] });
});

test('several CAs in file-name order; other files ignored', async () => {
  const r = root({ 'h/b.crt': pem.ca, 'h/a.crt': `${pem.ca}\n`, 'h/README': 'hi', 'h/ca.pem': 'ignored' });
  assert.deepEqual(await loadCertsDir(r, 'h'), { dir: join(r, 'h'), ca: [`${pem.ca}\n`, pem.ca] });
});

test('empty dir gives just the dir', async () => {
  const r = root({});
  mkdirSync(join(r, 'h'));
  assert.deepEqual(await loadCertsDir(r, 'h'), { dir: join(r, 'h') });
});

const errorCases: Array<{ name: string; files: Record<string, string>; pattern: RegExp }> = [
  { name: 'lone .cert', files: { 'h/client.cert': 'CERT' }, pattern: /client\.cert has no matching key client\.key.*\.crt/ },
  { name: 'lone .key', files: { 'h/client.key': 'KEY' }, pattern: /client\.key has no matching certificate client\.cert.*\.crt/ },
  { name: 'CA not PEM', files: { 'h/ca.crt': 'garbage' }, pattern: /ca\.crt is not a PEM certificate/ },
  { name: 'client cert not PEM', files: { 'h/c.cert': 'garbage', 'h/c.key': 'x' }, pattern: /c\.cert is not a PEM certificate/ },
];
for (const c of errorCases) {
  test(`error: ${c.name}`, async () => {
    await rejectsWith(loadCertsDir(root(c.files), 'h'), c.pattern);
  });
}

test('error: key that does not belong to the certificate', async () => {
  await rejectsWith(loadCertsDir(root({ 'h/c.cert': pem.cert, 'h/c.key': pem.otherKey }), 'h'), /c\.key cannot be used with c\.cert/);
});

test('error: key that is not a key', async () => {
  await rejectsWith(loadCertsDir(root({ 'h/c.cert': pem.cert, 'h/c.key': 'nope' }), 'h'), /c\.key cannot be used with c\.cert/);
});

for (const bad of ['', '.', '..', '../etc', 'a/b', 'a\\b']) {
  test(`error: unsafe host ${JSON.stringify(bad)}`, async () => {
    await rejectsWith(loadCertsDir(work, bad), /not a host\[:port\]/);
  });
}

test('a .crt that is a directory is reported with its path', async () => {
  const r = root({});
  mkdirSync(join(r, 'h', 'ca.crt'), { recursive: true });
  await rejectsWith(loadCertsDir(r, 'h'), /cannot read .*ca\.crt/);
});

test('injected fs: EACCES on the directory is an error, ENOENT falls through', async () => {
  const calls: string[] = [];
  const fs: CertsDirFs = {
    readdir: async (p) => {
      calls.push(p);
      if (p.endsWith('h:1')) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      throw Object.assign(new Error('denied'), { code: 'EACCES' });
    },
    readFile: async () => '',
  };
  await rejectsWith(loadCertsDir('/r', 'h:1', fs), /cannot read certificate directory \/r\/h: .*denied/);
  assert.deepEqual(calls, ['/r/h:1', '/r/h']);
});

test('real files copied in work the same as written ones', async () => {
  const r = root({});
  mkdirSync(join(r, 'h'));
  copyFileSync(join(work, 'gen', 'ca.crt'), join(r, 'h', 'ca.crt'));
  assert.deepEqual((await loadCertsDir(r, 'h')).ca, [pem.ca]);
});
