import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { normalizeAuthKey } from '../../src/credentials/docker-config.js';
import { dockerConfigProvider } from '../../src/credentials/provider.js';
import { credentialSource } from '../../src/credentials/resolve.js';
import { basicCredentials } from '../../src/credentials/types.js';
import { isFerryError } from '../../src/errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'ferry-creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bin = join(dir, 'bin');
mkdirSync(bin);
/** A fake docker-credential-test: answers from a table, logs the server URLs it was asked for. */
writeFileSync(
  join(bin, 'docker-credential-test'),
  `#!/bin/sh
[ "$1" = get ] || exit 2
url=$(cat)
echo "$url" >> "${join(dir, 'asked.log')}"
case "$url" in
  https://index.docker.io/v1/) printf '%s\n' '{"ServerURL":"https://index.docker.io/v1/","Username":"hubuser","Secret":"hub-pw"}' ;;
  tok.example.com) printf '%s\n' '{"ServerURL":"tok.example.com","Username":"<token>","Secret":"refresh-tok"}' ;;
  quay.io) printf '%s\n' '{"ServerURL":"quay.io","Username":"robot$q+r","Secret":"p\\\\\\"w"}' ;;
  boom.example.com) echo "the Secret is {x}" >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
);
chmodSync(join(bin, 'docker-credential-test'), 0o755);

function provider(config: unknown) {
  const cfgDir = mkdtempSync(join(dir, 'cfg-'));
  writeFileSync(join(cfgDir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dockerConfigProvider({ env: { DOCKER_CONFIG: cfgDir, PATH: `${bin}:/usr/bin:/bin` } });
}
const plain = (c: unknown) => JSON.parse(JSON.stringify(c)) as unknown;
const raw = (c: unknown) => (c ? { ...(c as object) } : c);

describe('Docker config auths', () => {
  const p = provider({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pw') },
      'registry.example.com:5000': { auth: b64('u:p\0\0') },
      'https://legacy.example.com/v1/': { username: 'lu', password: 'lp' },
      'id.example.com': { identitytoken: 'refresh' },
      'nocolon.example.com': { auth: b64('justuser') },
      'store.example.com': {},
    },
  });
  const table: Array<[string, unknown]> = [
    ['docker.io', { username: 'hubuser', password: 'hub:pw' }],
    ['registry.hub.docker.com', { username: 'hubuser', password: 'hub:pw' }],
    ['registry.example.com:5000', { username: 'u', password: 'p' }],
    ['registry.example.com', undefined],
    ['legacy.example.com', { username: 'lu', password: 'lp' }],
    ['id.example.com', { identityToken: 'refresh' }],
    ['nocolon.example.com', undefined],
    ['store.example.com', undefined],
    ['other.example.com', undefined],
  ];
  for (const [registry, want] of table) it(registry, async () => assert.deepEqual(raw(await p.get(registry)), want));
  it('the looked-up credentials redact themselves', async () => {
    assert.deepEqual(plain(await p.get('docker.io')), { username: 'hubuser', password: '[redacted]' });
  });
});

describe('credential helpers', () => {
  it('credHelpers per host, Hub gets https://index.docker.io/v1/, <token> is an identity token', async () => {
    const p = provider({ credHelpers: { 'docker.io': 'test', 'tok.example.com': 'test', 'quay.io': 'test' } });
    assert.deepEqual(raw(await p.get('docker.io')), { username: 'hubuser', password: 'hub-pw' });
    assert.deepEqual(raw(await p.get('tok.example.com')), { identityToken: 'refresh-tok' });
    assert.deepEqual(raw(await p.get('quay.io')), { username: 'robot$q+r', password: 'p\\"w' });
  });
  it('credsStore for every host; "not found" falls back to auths, then to nothing', async () => {
    const p = provider({ credsStore: 'test', auths: { 'fallback.example.com': { auth: b64('f:g') } } });
    assert.deepEqual(raw(await p.get('registry-1.docker.io')), { username: 'hubuser', password: 'hub-pw' });
    assert.deepEqual(raw(await p.get('fallback.example.com')), { username: 'f', password: 'g' });
    assert.equal(await p.get('none.example.com'), undefined);
  });
  it('credHelpers win over credsStore and auths', async () => {
    const p = provider({ credsStore: 'missing', credHelpers: { 'quay.io': 'test' }, auths: { 'quay.io': { auth: b64('x:y') } } });
    assert.deepEqual(raw(await p.get('quay.io')), { username: 'robot$q+r', password: 'p\\"w' });
  });
  it('a helper failure is an error without the helper output; a missing helper says so', async () => {
    const p = provider({ credHelpers: { 'boom.example.com': 'test', 'gone.example.com': 'gone' } });
    await assert.rejects(p.get('boom.example.com'), (e: unknown) => isFerryError(e, 'CREDENTIALS_INVALID') && e.message === 'credential helper docker-credential-test failed for boom.example.com (exit code 3): the Secret is {x}');
    await assert.rejects(p.get('gone.example.com'), /docker-credential-gone is not on PATH/);
  });
});

describe('Docker config file handling', () => {
  it('no file: no credentials', async () => {
    const p = dockerConfigProvider({ env: { DOCKER_CONFIG: join(dir, 'nowhere') } });
    assert.equal(await p.get('docker.io'), undefined);
  });
  it('~/.docker/config.json without DOCKER_CONFIG', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'h.example.com': { auth: b64('a:b') } } }));
    const p = dockerConfigProvider({ env: {}, homeDir: home });
    assert.deepEqual(raw(await p.get('h.example.com')), { username: 'a', password: 'b' });
  });
  it('broken JSON: the error does not quote the file', async () => {
    const p = provider('{"auths": {"x": {"auth": "SECRETSECRET"}');
    await assert.rejects(p.get('x'), (e: unknown) => isFerryError(e, 'CREDENTIALS_INVALID') && /is not valid JSON/.test(e.message) && !e.message.includes('SECRET'));
  });
  it('key normalisation', () => {
    assert.equal(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeAuthKey('http://Reg.Example.com:5000/v2/'), 'reg.example.com:5000');
    assert.equal(normalizeAuthKey('index.docker.io'), 'docker.io');
  });
  it('credentialSource: a setting resolved for one registry; the Docker config is asked lazily, by canonical name', async () => {
    const asked: string[] = [];
    const docker = { get: async (r: string) => (asked.push(r), basicCredentials('d', 'd')) };
    assert.equal(await credentialSource({ kind: 'none' }, 'x', docker)(), undefined);
    assert.deepEqual(raw(await credentialSource({ kind: 'static', credentials: basicCredentials('s', 't') }, 'x', docker)()), { username: 's', password: 't' });
    assert.deepEqual(asked, [], 'static and none never consult the Docker config');
    const fromConfig = credentialSource({ kind: 'docker-config' }, 'index.docker.io', docker);
    assert.deepEqual(asked, [], 'nothing is looked up before the session asks');
    assert.deepEqual(raw(await fromConfig()), { username: 'd', password: 'd' });
    assert.deepEqual(asked, ['docker.io']);
  });
});
