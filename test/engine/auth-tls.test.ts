/**
 * Authentication and TLS against real registries: htpasswd Basic, bearer tokens from our token server,
 * self-signed TLS (skip-verify, or the CA from a certs directory), wrong credentials, scopes asked.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { staticCredentials } from '../../src/registry/auth/credentials.js';
import { connectRegistry } from '../../src/registry/connect.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { makeImage, makeIndex, pushImage } from '../harness/images.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../harness/skopeo.js';
import { client, onCleanup, registry } from './helpers.js';

const image = (seed: string) =>
  makeIndex({
    kind: 'oci-index',
    children: [makeImage({ kind: 'oci', layers: [4000, 100], seed: `${seed}-a` }), makeImage({ kind: 'oci', layers: [3000], seed: `${seed}-b`, platform: { os: 'linux', architecture: 'arm64' } })],
  });

describe('auth and TLS variants', { concurrency: true }, () => {
  test('htpasswd source → token target: copies, asks exactly the scopes needed', async () => {
    const srcReg = await registry({ auth: 'htpasswd' });
    const dstReg = await registry({ auth: 'token' });
    const m = image('basic-token');
    await pushImage(srcReg, 'team/app', '1.0', m);
    const src = await client(srcReg);
    const dst = await client(dstReg);
    dstReg.tokenServer!.reset();
    const r = await copyImage(src, parseReference(`${srcReg.host}/team/app:1.0`), dst, parseReference(`${dstReg.host}/mirror/app:1.0`));
    assert.equal(r.targetDigest, m.digest);
    const ours = [...dstReg.tokenServer!.requests];
    assert.deepEqual([...new Set(ours.flatMap((q) => q.scopes))], ['repository:mirror/app:pull,push']);
    assert.ok(ours.every((q) => q.user === dstReg.username), 'token requests carry the user');
    // Tokens are cached: one token for the whole copy.
    assert.equal(ours.length, 1, `token requests: ${ours.length}`);
    assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/mirror/app:1.0`, await skopeoEndpointFor(dstReg)), m.manifestBytes);
  });

  test('token source with anonymous pull: anonymous tokens, source pull scope only', async () => {
    const srcReg = await registry({ auth: 'token', token: { anonymous: { pull: 'public/*' } } as never });
    const dstReg = await registry();
    const m = image('anon');
    await pushImage(srcReg, 'public/app', 'v1', m);
    const src = await connectRegistry(srcReg.host, { endpoint: srcReg.url });
    onCleanup(() => src.close());
    const dst = await client(dstReg);
    srcReg.tokenServer!.reset();
    const r = await copyImage(src, parseReference(`${srcReg.host}/public/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`));
    assert.equal(r.targetDigest, m.digest);
    const reqs = srcReg.tokenServer!.requests;
    assert.ok(reqs.length > 0 && reqs.every((q) => !q.user), 'anonymous token requests');
    assert.deepEqual([...new Set(reqs.flatMap((q) => q.scopes))], ['repository:public/app:pull']);
  });

  test('wrong credentials: the error names registry and repository and says what to do', async () => {
    const reg = await registry({ auth: 'htpasswd' });
    const tok = await registry({ auth: 'token' });
    const dstReg = await registry();
    await pushImage(reg, 'team/app', 'v1', image('wrong'));
    for (const r of [reg, tok]) {
      const bad = await connectRegistry(r.host, { endpoint: r.url, credentials: staticCredentials({ username: r.username!, password: 'not-the-password' }) });
      onCleanup(() => bad.close());
      const dst = await client(dstReg);
      await assert.rejects(copyImage(bad, parseReference(`${r.host}/team/app:v1`), dst, parseReference(`${dstReg.host}/x:v1`)), (e: unknown) => {
        assert.ok(isFerryError(e, 'UNAUTHORIZED'), String(e));
        assert.match(e.message, new RegExp(`registry ${r.host.replace(/\./g, '\\.')}`));
        if (r === reg) assert.match(e.message, /repository team\/app/);
        assert.match(e.message, /check the username and password/);
        assert.doesNotMatch(e.message, /not-the-password/);
        return true;
      });
    }
  });

  test('TLS with a self-signed certificate: refused by default, works with skip-verify or the CA in a certs directory', async () => {
    const srcReg = await registry({ tls: true });
    const dstReg = await registry({ tls: true, auth: 'htpasswd' });
    const m = image('tls');
    await pushImage(srcReg, 'app', 'v1', m);
    const creds = staticCredentials({ username: dstReg.username!, password: dstReg.password! });
    const strict = await connectRegistry(srcReg.host, {});
    onCleanup(() => strict.close());
    const dstStrict = await connectRegistry(dstReg.host, { credentials: creds });
    onCleanup(() => dstStrict.close());
    await assert.rejects(copyImage(strict, parseReference(`${srcReg.host}/app:v1`), dstStrict, parseReference(`${dstReg.host}/app:v1`)), (e: unknown) =>
      isFerryError(e, 'TLS_ERROR') && /certs directory|skip-tls-verify/.test(e.message),
    );
    // skip-verify on the source; the CA from a certs.d-style directory (per host:port) on the target.
    const src = await connectRegistry(srcReg.host, { tlsVerify: false });
    onCleanup(() => src.close());
    const base = await mkdtemp(join(tmpdir(), 'ferry-certs-'));
    await dstReg.certsDir(base);
    const dst = await connectRegistry(dstReg.host, { certsDir: base, credentials: creds });
    onCleanup(() => dst.close());
    assert.match(dst.endpoint, /^https:\/\//);
    const r = await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`));
    assert.equal(r.targetDigest, m.digest);
    assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/app:v1`, await skopeoEndpointFor(dstReg)), m.manifestBytes);
  });
});
