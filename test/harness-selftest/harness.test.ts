/**
 * Self-test of the integration harness: every registry variant starts, fixtures
 * push and read back byte-exact through skopeo, token ACLs hold, the proxy
 * counts and the CDN redirect mode never leaks Authorization.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { startCdn } from '../harness/cdn.js';
import { makeArtifact, makeImage, makeIndex, pushImage, pushLargeBlob, seededDigest } from '../harness/images.js';
import type { TestManifest } from '../harness/images.js';
import { startProxy } from '../harness/proxy.js';
import { HttpError } from '../harness/push.js';
import { startRegistry } from '../harness/registry.js';
import type { RegistryHandle, RegistryOptions } from '../harness/registry.js';
import { skopeoEndpointFor, skopeoInspectConfigRaw, skopeoInspectRaw, skopeoListTags } from '../harness/skopeo.js';

const stops: (() => Promise<void>)[] = [];
after(async () => { await Promise.all(stops.map((s) => s())); });

async function registry(o: RegistryOptions): Promise<RegistryHandle> {
  const r = await startRegistry(o);
  stops.push(() => r.stop());
  return r;
}

function fixtures(seed: string): { index: TestManifest; docker: TestManifest; list: TestManifest; artifact: TestManifest } {
  const amd64 = makeImage({ kind: 'oci', layers: [1000, 20_000], seed: `${seed}-amd64` });
  const arm64 = makeImage({ kind: 'oci', layers: [3000], seed: `${seed}-arm64`, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const index = makeIndex({ kind: 'oci-index', children: [amd64, arm64], withAttestation: true });
  const docker = makeImage({ kind: 'docker', layers: [512, 4096], seed: `${seed}-docker` });
  const dockerArm = makeImage({ kind: 'docker', layers: [600], seed: `${seed}-docker-arm`, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
  const list = makeIndex({ kind: 'docker-list', children: [docker, dockerArm] });
  return { index, docker, list, artifact: makeArtifact({ seed, subject: amd64 }) };
}

/** Push all fixtures, then read every manifest back with skopeo and compare bytes. */
async function roundTrip(reg: RegistryHandle): Promise<void> {
  const f = fixtures(reg.host);
  const repo = 'selftest/app';
  assert.equal((await pushImage(reg, repo, 'multi', f.index)).digest, f.index.digest);
  await pushImage(reg, repo, 'v2s2', f.docker);
  await pushImage(reg, repo, 'artifact', f.artifact);
  await pushImage(reg, repo, 'list', f.list);
  const ep = await skopeoEndpointFor(reg);
  assert.deepEqual(await skopeoInspectRaw(`${reg.host}/${repo}:multi`, ep), f.index.manifestBytes);
  assert.deepEqual(await skopeoInspectRaw(`${reg.host}/${repo}:v2s2`, ep), f.docker.manifestBytes);
  assert.deepEqual(await skopeoInspectRaw(`${reg.host}/${repo}:artifact`, ep), f.artifact.manifestBytes);
  assert.deepEqual(await skopeoInspectRaw(`${reg.host}/${repo}:list`, ep), f.list.manifestBytes);
  assert.ok(f.index.kind === 'index' && f.index.children.length === 4);
  for (const c of f.index.kind === 'index' ? f.index.children : []) {
    assert.deepEqual(await skopeoInspectRaw(`${reg.host}/${repo}@${c.digest}`, ep), c.manifestBytes);
  }
  assert.deepEqual((await skopeoListTags(`${reg.host}/${repo}`, ep)).sort(), ['artifact', 'list', 'multi', 'v2s2']);
}

describe('harness self-test', { concurrency: true }, () => {
  test('open registry: byte-exact round trip, access log, large chunked blob', async () => {
    const reg = await registry({ auth: 'none' });
    await roundTrip(reg);
    const big = await pushLargeBlob(reg, 'selftest/big', 5 * 1024 * 1024 + 7, 'big', { chunkSize: 1 << 20 });
    assert.equal(big.digest, seededDigest(5 * 1024 * 1024 + 7, 'big'));
    const streamed = await pushLargeBlob(reg, 'selftest/big', 3 << 20, 'big2', { chunkSize: 0 });
    const layered = makeImage({ kind: 'oci', layers: [], seed: 'ext', externalLayers: [big, streamed] });
    await pushImage(reg, 'selftest/big', 'latest', layered);
    // Lines are written after the responses: wait for the last request's line, then look.
    const log = await reg.accessLogUntil((l) => l.some((e) => e.method === 'PUT' && e.path === '/v2/selftest/big/manifests/latest'));
    assert.ok(log.some((e) => e.method === 'PUT' && e.path === '/v2/selftest/app/manifests/multi' && e.status === 201));
    assert.equal(log.filter((e) => e.method === 'PATCH' && e.path.startsWith('/v2/selftest/big/blobs/uploads/')).length, 7);
  });

  test('htpasswd registry: round trip; no credentials is 401', async () => {
    const reg = await registry({ auth: 'htpasswd', relativeUrls: true });
    await roundTrip(reg);
    const res = await request(`${reg.url}/v2/`);
    await res.body.dump();
    assert.equal(res.statusCode, 401);
    await assert.rejects(pushImage(reg, 'x/y', 't', makeImage({ kind: 'docker', layers: [1], seed: 'n' }), 'anonymous'),
      (e: unknown) => e instanceof HttpError && e.status === 401);
  });

  test('TLS registry with self-signed CA: round trip', async () => {
    const reg = await registry({ auth: 'htpasswd', tls: true });
    assert.match(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await roundTrip(reg);
  });

  test('mTLS registry: client cert required', async () => {
    const reg = await registry({ auth: 'none', mtls: true });
    await pushImage(reg, 'm/tls', 'v1', makeImage({ kind: 'docker', layers: [10], seed: 'mtls' }));
    const ep = await skopeoEndpointFor(reg, { client: true });
    assert.ok((await skopeoInspectRaw(`${reg.host}/m/tls:v1`, ep)).length > 0);
    const noClient = await skopeoEndpointFor(reg, { client: false });
    noClient.certDir = await reg.certsDir(`${reg.dir}/certs-noclient`, { client: false });
    await assert.rejects(skopeoInspectRaw(`${reg.host}/m/tls:v1`, noClient));
  });

  test('token registry: round trip, anonymous push rejected, ACL for anonymous pull', async () => {
    const reg = await registry({ auth: 'token', token: { anonymous: { pull: 'public/*' }, expiresIn: null } });
    assert.ok(reg.tokenServer);
    await roundTrip(reg);
    const img = makeImage({ kind: 'docker', layers: [100], seed: 'pub' });
    await assert.rejects(pushImage(reg, 'public/app', 'v1', img, 'anonymous'),
      (e: unknown) => e instanceof HttpError && e.status === 401 && /insufficient_scope/.test(e.message));
    const anonReq = reg.tokenServer.requests.find((r) => r.user === null);
    assert.deepEqual(anonReq?.scopes, ['repository:public/app:pull,push']);
    assert.deepEqual(anonReq?.granted, [{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
    await pushImage(reg, 'public/app', 'v1', img);
    const anon = await skopeoEndpointFor(reg, { anonymous: true });
    assert.deepEqual(await skopeoInspectRaw(`${reg.host}/public/app:v1`, anon), img.manifestBytes);
    await assert.rejects(skopeoInspectRaw(`${reg.host}/selftest/app:v2s2`, anon));
    const multi = reg.tokenServer.requests.find((r) => r.scopes.length > 0 && r.user === reg.username);
    assert.ok(multi && multi.granted.length > 0);
  });

  test('proxy counts requests and rewrites Location; redirect mode serves blobs from the CDN', async () => {
    const reg = await registry({ auth: 'htpasswd' });
    const cdn = await startCdn({ upstream: reg });
    const proxy = await startProxy({ upstream: reg });
    stops.push(() => proxy.stop(), () => cdn.stop());
    const img = makeImage({ kind: 'docker', layers: [2048, 777], seed: 'proxy' });
    const target = { ...reg, url: proxy.url };
    await pushImage(target, 'p/app', 'v1', img);
    assert.equal(proxy.count({ method: 'POST', pathRegex: /\/blobs\/uploads\/$/ }), 3);
    assert.equal(proxy.count({ method: 'PUT', pathRegex: /\/blobs\/uploads\/.+digest=/, status: 201 }), 3);
    assert.equal(proxy.count({ method: 'PUT', pathRegex: /\/manifests\/v1$/ }), 1);
    const ep = { tlsVerify: false, creds: { username: reg.username!, password: reg.password! } };
    assert.deepEqual(await skopeoInspectRaw(`${proxy.host}/p/app:v1`, ep), img.manifestBytes);

    proxy.reset();
    proxy.options.redirectBlobsTo = cdn;
    const layer = img.blobs[1]!;
    const auth = 'Basic ' + Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
    const r1 = await request(`${proxy.url}/v2/p/app/blobs/${layer.digest}`, { headers: { authorization: auth } });
    await r1.body.dump();
    assert.equal(r1.statusCode, 307);
    const loc = String(r1.headers.location);
    assert.match(loc, /^http:\/\/127\.0\.0\.2:\d+\/blobs\/p\/app\/sha256:[0-9a-f]{64}\?sig=/);
    const r2 = await request(loc);
    assert.equal(r2.statusCode, 200);
    assert.deepEqual(Buffer.from(await r2.body.arrayBuffer()), layer.bytes);
    const leaked = await request(loc, { headers: { authorization: auth } });
    await leaked.body.dump();
    assert.equal(leaked.statusCode, 400);
    cdn.reset();
    // skopeo follows the redirect for a config blob and must not send credentials to the CDN.
    const cfg = await skopeoInspectConfigRaw(`${proxy.host}/p/app:v1`, ep);
    assert.deepEqual(cfg, img.blobs[0]!.bytes);
    assert.ok(cdn.records.length >= 1, 'CDN saw the config GET');
    assert.ok(cdn.records.every((r) => r.authorization === undefined && r.status === 200));
    const unauth = await request(`${proxy.url}/v2/p/app/blobs/${layer.digest}`);
    await unauth.body.dump();
    assert.equal(unauth.statusCode, 401, 'redirect mode still authorises first');
  });
});
