/**
 * Credentials stay home, as a user meets it (issue 14's reproductions, against the built CLI):
 * - a registry redirects a blob to a CDN that answers 401 with a realm on a third host: nothing reaches the third
 *   host and the copy fails clearly;
 * - a password in --src-endpoint, or in a config's registry:, is never printed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startEvilCdn } from '../harness/evil-cdn.js';
import { makeImage, pushImage } from '../harness/images.js';
import { onCleanup, proxy, registry } from '../engine/helpers.js';
import { ferry, tagsOf } from './helpers.js';

const PASSWORD = 'S3cretPass';

describe('credentials stay home (CLI)', () => {
  test('a blob redirected to a CDN that asks for a token at a third host: the copy fails, the third host sees no connection', async () => {
    const evil = await startEvilCdn();
    onCleanup(() => evil.stop());
    const src = await registry({ auth: 'token' });
    const dst = await registry();
    await pushImage(src, 'evil/app', 'v1', makeImage({ kind: 'oci', layers: [30_000, 20_000], seed: 'cli-cdn' }));
    const p = await proxy({
      upstream: { url: src.url, dispatcher: src.dispatcher },
      onRequest: (req) =>
        req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')
          ? {
              respond: (res: ServerResponse) => {
                res.writeHead(307, { location: `${evil.cdnUrl}/blobs/evil/app?sig=abc`, 'content-length': '0' });
                res.end();
              },
            }
          : 'pass',
    });
    const r = await ferry(['copy', '--src-creds', `${src.username}:${src.password}`, `docker://${p.host}/evil/app:v1`, `docker://${dst.host}/evil/app:v1`], { LOG_LEVEL: 'debug' });
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stderr, /127\.0\.0\.2:\d+\/blobs\/evil\/app\?… \(outside the registry's origin http:\/\/127\.0\.0\.1:\d+\) answered HTTP 401/);
    assert.ok(evil.cdnRequests.length > 0, 'the redirect was followed to the CDN');
    assert.equal(evil.realmConnections(), 0, 'no connection reached the third host');
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(src.password!), 'the password is not printed');
    // every request the registry saw carried the registry's own tokens (the evil realm issued none)
    const auths = p.records.map((x) => x.headers.authorization).filter((a): a is string => typeof a === 'string');
    assert.ok(auths.length > 0 && auths.every((a) => a.startsWith('Bearer ') && a !== 'Bearer evil-token'), auths.join(', '));
    assert.ok(src.tokenServer!.requests.length > 0);
    assert.deepEqual(await tagsOf(dst, 'evil/app'), [], 'nothing landed');
  });

  test('--src-endpoint with user:password@ is refused, and the password is not printed', async () => {
    const reg = await registry();
    const r = await ferry(['copy', '--src-endpoint', `https://alice:${PASSWORD}@${reg.host}`, `${reg.host}/a/b:v1`, `${reg.host}/c/d:v1`], { LOG_LEVEL: 'debug' });
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /--src-endpoint: userinfo \(user:password@\) is not allowed in an endpoint; give the credentials with --src-creds/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PASSWORD));
    const dest = await ferry(['copy', '--dest-endpoint', `http://bob:${PASSWORD}@${reg.host}`, `${reg.host}/a/b:v1`, `${reg.host}/c/d:v1`]);
    assert.equal(dest.code, 2);
    assert.match(dest.stderr, /--dest-creds/);
    assert.doesNotMatch(dest.stdout + dest.stderr, new RegExp(PASSWORD));
    // a password with "?" or "#" in it, or starting with digits (a URL parser reads host "alice", port 1234)
    for (const endpoint of [`https://alice:pa?${PASSWORD}@${reg.host}`, `https://alice:1234?${PASSWORD}@${reg.host}`, `https://alice:x#${PASSWORD}@${reg.host}`]) {
      const odd = await ferry(['copy', '--src-endpoint', endpoint, `${reg.host}/a/b:v1`, `${reg.host}/c/d:v1`]);
      assert.equal(odd.code, 2, endpoint);
      assert.doesNotMatch(odd.stdout + odd.stderr, new RegExp(`${PASSWORD}|alice`), endpoint);
    }
  });

  test('an image reference with user:password@ is refused by copy and list-tags, and the password is not printed', async () => {
    const reg = await registry();
    for (const argv of [
      ['copy', `docker://alice:${PASSWORD}@${reg.host}/a/b:v1`, `${reg.host}/c/d:v1`],
      ['copy', `${reg.host}/a/b:v1`, `alice:${PASSWORD}@${reg.host}/c/d:v1`],
      ['list-tags', `docker://alice:${PASSWORD}@${reg.host}/a/b`],
    ]) {
      const r = await ferry(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /must not hold credentials \(user:password@\)/);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${PASSWORD}|alice`));
    }
    // a digest reference keeps its @
    const digest = await ferry(['list-tags', `docker://${reg.host}/a/b@sha256:${'0'.repeat(64)}`]);
    assert.doesNotMatch(digest.stderr, /must not hold credentials/);
  });

  test('a config with registry: alice:secret@host is a config error that does not echo the secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-userinfo-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, `tasks:\n  - name: t\n    source: {registry: "alice:${PASSWORD}@registry.example.com"}\n    target: {registry: mirror.example.com, auth: none}\n    mappings:\n      - from: app\n`);
    for (const args of [['validate', '--config', file], ['sync', '--config', file, '--once'], [`-config=${file}`, '-once']]) {
      const r = await ferry(args, { LOG_LEVEL: 'debug' });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      assert.match(r.stderr + r.stdout, /config\.yaml:3: tasks\[0\]\.source\.registry: userinfo \(user:password@\) is not allowed in a registry address/);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PASSWORD), args.join(' '));
    }
  });
});
