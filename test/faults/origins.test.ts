/**
 * Credentials stay home (issue 14, items 1 and 5): a 401 from any origin other than the registry's own — a CDN
 * behind a blob redirect, an upload Location elsewhere — fails the request and changes no auth state; pagination
 * links must stay on the origin they came from. Real registries (token auth) behind a proxy that turns hostile.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { staticCredentials } from '../../src/registry/auth/credentials.js';
import { listCatalog, listTags } from '../../src/registry/listing.js';
import { drain } from '../../src/registry/transport/http.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { startEvilCdn, type EvilCdnHandle } from '../harness/evil-cdn.js';
import { makeImage, pushImage } from '../harness/images.js';
import type { ProxyOptions } from '../harness/proxy.js';
import { ferry, onCleanup, proxy, registry } from './helpers.js';

const BLOB_GET = /^\/v2\/evil\/app\/blobs\/sha256:[a-f0-9]{64}$/;

async function evil(): Promise<EvilCdnHandle> {
  const e = await startEvilCdn();
  onCleanup(() => e.stop());
  return e;
}

const redirectTo = (location: string) => ({
  respond: (res: ServerResponse) => {
    res.writeHead(307, { location, 'content-length': '0' });
    res.end();
  },
});

/** A token-auth source behind a proxy (hooks decide how hostile), and an open target. */
async function setup(hooks: Omit<ProxyOptions, 'upstream'>, target: Omit<ProxyOptions, 'upstream'> = {}) {
  const srcReg = await registry({ auth: 'token' });
  const dstReg = await registry({ auth: 'token' });
  const img = makeImage({ kind: 'oci', layers: [20_000], seed: 'origins' });
  await pushImage(srcReg, 'evil/app', 'v1', img);
  await pushImage(srcReg, 'evil/app', 'v2', makeImage({ kind: 'oci', layers: [1000], seed: 'origins-2' }));
  const p = await proxy({ upstream: { url: srcReg.url, dispatcher: srcReg.dispatcher }, ...hooks });
  const dp = await proxy({ upstream: { url: dstReg.url, dispatcher: dstReg.dispatcher }, ...target });
  const creds = (r: typeof srcReg) => ({ credentials: staticCredentials({ username: r.username!, password: r.password! }) });
  const src = await ferry(srcReg, { via: p.url, ...creds(srcReg) });
  const dst = await ferry(dstReg, { via: dp.url, ...creds(dstReg) });
  const copy = () => copyImage(src, parseReference(`${srcReg.host}/evil/app:v1`), dst, parseReference(`${dstReg.host}/evil/app:v1`), { blobAttempts: 1 });
  return { srcReg, dstReg, p, dp, src, dst, copy, img };
}

describe('a 401 from another origin gets no credentials', () => {
  test('a blob redirected to a CDN that asks for a token at a third host: nothing reaches the third host; the registry keeps its own auth', async () => {
    const e = await evil();
    const s = await setup({ onRequest: (req) => (req.method === 'GET' && BLOB_GET.test(req.url ?? '') ? redirectTo(`${e.cdnUrl}/blobs/x?sig=1`) : 'pass') });
    await assert.rejects(s.copy(), (err: unknown) => {
      assert.ok(isFerryError(err, 'UNAUTHORIZED'), String(err));
      assert.match(err.message, /outside the registry's origin/);
      assert.match(err.message, /127\.0\.0\.2/);
      assert.ok(err.message.includes(s.srcReg.host), err.message);
      assert.doesNotMatch(err.message, /sig=1/, 'the signed query is not shown');
      return true;
    });
    assert.ok(e.cdnRequests.length > 0, 'the CDN was asked (the redirect was followed)');
    assert.equal(e.realmConnections(), 0, 'no connection to the third host');
    for (const line of e.cdnRequests) assert.doesNotMatch(line, /authorization/i);
    // the token cache and the challenge are untouched: the next request to the registry uses the registry's token
    const tokensBefore = s.srcReg.tokenServer!.requests.length;
    const tags = await listTags(s.src, 'evil/app');
    assert.deepEqual(tags.sort(), ['v1', 'v2']);
    const res = await s.src.send({ method: 'GET', path: '/v2/evil/app/manifests/v1', scopes: ['repository:evil/app:pull'], expect: [200], headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    await drain(res.body);
    assert.equal(s.srcReg.tokenServer!.requests.length, tokensBefore, 'no new token: the cached registry token was used');
    assert.equal(e.realmConnections(), 0);
    const last = s.p.records.at(-1);
    assert.match(String(last?.headers.authorization), /^Bearer /);
    assert.equal(last?.status, 200);
  });

  test('an upload Location on another origin answering 401: the upload fails, no realm is contacted', async () => {
    const e = await evil();
    const s = await setup(
      {},
      {
        onRequest: (req) =>
          req.method === 'POST' && /\/blobs\/uploads\/$/.test(req.url ?? '') && !/mount=/.test(req.url ?? '')
            ? {
                respond: (res: ServerResponse) => {
                  res.writeHead(202, { location: `${e.cdnUrl}/upload/1?state=x`, 'content-length': '0', 'docker-upload-uuid': '1' });
                  res.end();
                },
              }
            : 'pass',
      },
    );
    await assert.rejects(s.copy(), (err: unknown) => {
      assert.ok(isFerryError(err), String(err));
      assert.equal(err.code, 'UNAUTHORIZED', err.message);
      assert.match(err.message, /outside the registry's origin/);
      return true;
    });
    assert.ok(e.cdnRequests.length > 0);
    assert.equal(e.realmConnections(), 0, 'no connection to the third host');
  });
});

describe('pagination links stay on their origin', () => {
  test('a tags Link to another host is refused before it is requested', async () => {
    const e = await evil();
    const s = await setup({
      transformResponse: (req, up) =>
        /\/tags\/list/.test(req.url ?? '') ? { ...up, headers: { ...up.headers, link: `<${e.cdnUrl}/v2/evil/app/tags/list?last=v1>; rel="next"` } } : undefined,
    });
    await assert.rejects(listTags(s.src, 'evil/app'), (err: unknown) => {
      assert.ok(isFerryError(err, 'RESPONSE_INVALID'), String(err));
      assert.match(err.message, /pagination link .* does not follow: it leads to http:\/\/127\.0\.0\.2:\d+, away from/);
      return true;
    });
    assert.equal(e.cdnRequests.length, 0, 'the other host was never asked');
  });

  test('a catalog Link with user:password@ is refused, and the password is not shown', async () => {
    const s = await setup({
      transformResponse: (req, up) =>
        /\/_catalog/.test(req.url ?? '') ? { ...up, headers: { ...up.headers, link: `<${s.p.url.replace('://', '://alice:S3cretPass@')}/v2/_catalog?last=a&n=1>; rel="next"` } } : undefined,
    });
    await assert.rejects(listCatalog(s.src), (err: unknown) => {
      assert.ok(isFerryError(err, 'RESPONSE_INVALID'), String(err));
      assert.match(err.message, /user:password@/);
      assert.doesNotMatch(err.message, /S3cretPass/);
      return true;
    });
  });
});
