/**
 * Blob handling against real registries: cross-repository mounts, redirects to another host (which never
 * sees credentials), corrupt source bytes (copy fails, no tag), large-blob streamed upload, and
 * blob de-duplication across parallel copies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { parseReference } from '../../src/ref/reference.js';
import { headBlob } from '../../src/registry/blobs.js';
import { copyImage } from '../../src/sync/copy-image.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { startCdn } from '../harness/cdn.js';
import { makeImage, makeIndex, pushImage } from '../harness/images.js';
import { blobStatus, client, flipOneByte, onCleanup, proxy, registry } from './helpers.js';

describe('blobs', { concurrency: true }, () => {
  test('a layer already in another target repository is mounted, not uploaded', async () => {
    const srcReg = await registry();
    const dstReg = await registry({ auth: 'token' });
    const a = makeImage({ kind: 'docker', layers: [50_000, 1000], seed: 'mount-a' });
    // b shares a's first layer (the base) and has its own second layer
    const b0 = makeImage({ kind: 'docker', layers: [50_000, 2000], seed: 'mount-a' });
    const bOwn = makeImage({ kind: 'docker', layers: [2000], seed: 'mount-b' });
    const base = a.blobs[1]!;
    assert.equal(b0.blobs[1]!.digest, base.digest, 'same seed gives the same base layer');
    await pushImage(srcReg, 'lib/a', 'v1', a);
    await pushImage(srcReg, 'lib/b', 'v1', b0);
    void bOwn;
    const dstProxy = await proxy({ upstream: { url: dstReg.url, dispatcher: dstReg.dispatcher } });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: dstProxy.url });
    const transfers = new BlobTransfers();
    await copyImage(src, parseReference(`${srcReg.host}/lib/a:v1`), dst, parseReference(`${dstReg.host}/mirror/a:v1`), { transfers });
    dstProxy.reset();
    dstReg.tokenServer!.reset();
    const events: string[] = [];
    const r = await copyImage(src, parseReference(`${srcReg.host}/lib/b:v1`), dst, parseReference(`${dstReg.host}/mirror/b:v1`), {
      transfers,
      events: (e) => {
        if (e.type === 'blob-done') events.push(`${e.digest}:${e.outcome}:${e.from ?? ''}`);
      },
    });
    assert.ok(events.includes(`${base.digest}:mounted:mirror/a`), events.join('\n'));
    assert.equal(r.blobs.mounted, 1);
    const mountPosts = dstProxy.filter({ method: 'POST' }).filter((x) => x.path.includes(`mount=${encodeURIComponent(base.digest)}`));
    assert.equal(mountPosts.length, 1);
    assert.equal(mountPosts[0]!.status, 201);
    // the base layer's bytes were not uploaded again
    assert.equal(dstProxy.filter({ method: 'PUT' }).filter((x) => x.path.includes(encodeURIComponent(base.digest)) || x.path.includes(base.digest)).length, 0);
    // the mount token covered both repositories
    assert.ok(dstReg.tokenServer!.requests.some((q) => q.scopes.includes('repository:mirror/a:pull') && q.scopes.includes('repository:mirror/b:pull,push')));
  });

  test('blob GETs redirected to another host work, and that host never sees Authorization', async () => {
    const srcReg = await registry({ auth: 'htpasswd' });
    const dstReg = await registry();
    const cdn = await startCdn({ upstream: srcReg });
    onCleanup(() => cdn.stop());
    const p = await proxy({ upstream: { url: srcReg.url }, redirectBlobsTo: cdn });
    const m = makeImage({ kind: 'oci', layers: [70_000, 300], seed: 'redirect' });
    await pushImage(srcReg, 'app', 'v1', m);
    const src = await client(srcReg, { via: p.url });
    const dst = await client(dstReg);
    const r = await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`));
    assert.equal(r.blobs.copied, 3);
    assert.equal(p.count({ method: 'GET', pathRegex: /\/blobs\//, status: 307 }), 3);
    assert.equal(cdn.records.length, 3);
    assert.ok(cdn.records.every((x) => x.authorization === undefined && x.status === 200), JSON.stringify(cdn.records));
    for (const b of m.blobs) assert.equal(await blobStatus(dstReg, 'app', b.digest), 200);
  });

  test('a source serving bytes that do not match the digest: copy fails, no tag, no blob on the target', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const m = makeImage({ kind: 'oci', layers: [40_000], seed: 'corrupt' });
    const layer = m.blobs[1]!;
    await pushImage(srcReg, 'app', 'v1', m);
    const p = await proxy({
      upstream: { url: srcReg.url },
      transformResponse: (req, res) => (req.method === 'GET' && req.url?.includes(layer.digest) ? { ...res, body: res.body.pipe(flipOneByte(20_000)) } : undefined),
    });
    const src = await client(srcReg, { via: p.url });
    const dst = await client(dstReg);
    await assert.rejects(copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`)), (e: unknown) => {
      assert.ok(isFerryError(e, 'DIGEST_MISMATCH'), String(e));
      assert.match(e.message, new RegExp(`blob ${layer.digest} from registry ${srcReg.host.replace(/\./g, '\\.')}, repository app`));
      return true;
    });
    // retried (a corrupting middlebox may be transient), then gave up
    assert.equal(p.count({ method: 'GET', pathRegex: new RegExp(layer.digest) }), 3);
    const head = await fetch(`${dstReg.url}/v2/app/manifests/v1`, { method: 'HEAD', headers: { accept: m.mediaType } });
    assert.equal(head.status, 404, 'no tag on the target');
    assert.equal(await blobStatus(dstReg, 'app', layer.digest), 404, 'the corrupt blob was never committed');
  });

  test('parallel copies sharing layers transfer each blob once; large layers stream through PATCH', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const images = [0, 1, 2, 3].map((i) => makeIndex({
      kind: 'oci-index',
      children: [makeImage({ kind: 'oci', layers: [200_000, 5000 + i], seed: 'shared' }), makeImage({ kind: 'oci', layers: [3000 + i], seed: `own-${i}`, platform: { os: 'linux', architecture: 'arm64' } })],
    }));
    for (const [i, m] of images.entries()) await pushImage(srcReg, `app${i}`, 'v1', m);
    const dstProxy = await proxy({ upstream: { url: dstReg.url } });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: dstProxy.url });
    const transfers = new BlobTransfers();
    const results = await Promise.all(images.map((_, i) => copyImage(src, parseReference(`${srcReg.host}/app${i}:v1`), dst, parseReference(`${dstReg.host}/app${i}:v1`), { transfers, uploadMode: 'streamed' })));
    const shared = images[0]!.kind === 'index' ? (images[0]!.children[0] as { blobs: { digest: string }[] }).blobs[1]!.digest : '';
    const uploads = dstProxy.filter({ method: 'PATCH' }).length;
    const commits = dstProxy.filter({ method: 'PUT', pathRegex: /\/blobs\/uploads\// });
    assert.equal(uploads, commits.length, 'streamed mode: one PATCH per upload');
    assert.equal(commits.filter((c) => c.path.includes(encodeURIComponent(shared)) || c.path.includes(shared)).length, 1, 'the shared layer is uploaded once');
    assert.equal(results.reduce((n, r) => n + r.blobs.mounted, 0), 3, 'the other three repositories mount it');
  });
});

describe('asking the target for a blob', { concurrency: true }, () => {
  const selfMount = (repo: string, digest: string): string => `/v2/${repo}/blobs/uploads/?${new URLSearchParams({ mount: digest, from: repo }).toString()}`;
  const isSelfMount = (url: string | undefined): boolean => {
    const m = /^\/v2\/(.+)\/blobs\/uploads\/\?(.*)$/.exec(url ?? '');
    return m !== null && new URLSearchParams(m[2]).get('from') === m[1];
  };
  const blobHeads = (p: Awaited<ReturnType<typeof proxy>>): number => p.count({ method: 'HEAD', pathRegex: /\/blobs\// });
  /** One image tagged v1 and v2 in the source's `app`; the target behind a proxy that turns the blob mounts `strip` picks into plain upload POSTs. */
  const behindMountStripper = async (seed: string, strip: (url: string) => boolean) => {
    const srcReg = await registry();
    const dstReg = await registry();
    const m = makeImage({ kind: 'oci', layers: [30_000, 2000], seed });
    await pushImage(srcReg, 'app', 'v1', m);
    await pushImage(srcReg, 'app', 'v2', m);
    const p = await proxy({
      upstream: { url: dstReg.url },
      onRequest: (req) => {
        if (req.method === 'POST' && req.url && strip(req.url)) req.url = req.url.slice(0, req.url.indexOf('?'));
        return 'pass';
      },
    });
    return { srcReg, dstReg, p, src: await client(srcReg), dst: await client(dstReg, { via: p.url }) };
  };

  test('once a mount from the repository itself has answered 201 for a blob that landed, a missing blob costs one such mount (202 opens the upload), not HEAD + POST', async () => {
    const srcReg = await registry();
    const dstReg = await registry({ auth: 'token' });
    const a = makeImage({ kind: 'oci', layers: [30_000, 1000], seed: 'self-mount-base' });
    const b = makeImage({ kind: 'oci', layers: [30_000, 2000], seed: 'self-mount-base' });
    const c = makeImage({ kind: 'oci', layers: [20_000, 3000], seed: 'self-mount-own' });
    for (const [repo, m] of [['lib/a', a], ['lib/b', b], ['lib/c', c]] as const) await pushImage(srcReg, repo, 'v1', m);
    const p = await proxy({ upstream: { url: dstReg.url, dispatcher: dstReg.dispatcher } });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: p.url });
    const transfers = new BlobTransfers();
    const copy = (repo: string) => copyImage(src, parseReference(`${srcReg.host}/lib/${repo}:v1`), dst, parseReference(`${dstReg.host}/mirror/${repo}:v1`), { transfers });
    await copy('a');
    assert.equal(blobHeads(p), 3, 'before the registry has shown how it answers, blobs are asked with HEAD');
    const proof = p.filter({ method: 'POST' }).filter((x) => x.path.includes('mount='));
    assert.equal(proof.length, 1, 'one test of the first blob that landed');
    assert.ok(proof[0]!.status === 201 && isSelfMount(proof[0]!.path), `${proof[0]!.status} ${proof[0]!.path}`);
    assert.equal((await copy('b')).blobs.mounted, 1, 'the shared base is mounted from mirror/a');
    p.reset();
    dstReg.tokenServer!.reset();
    const r = await copy('c');
    assert.equal(r.blobs.copied, 3);
    assert.equal(blobHeads(p), 0, 'no blob HEADs');
    assert.deepEqual(p.filter({ method: 'POST' }).map((x) => `${x.status} ${x.path}`).sort(), c.blobs.map((x) => `202 ${selfMount('mirror/c', x.digest)}`).sort());
    assert.equal(p.filter({ method: 'PUT', pathRegex: /\/blobs\/uploads\// }).length, 3, 'each blob is committed into the session its mount opened');
    // the mount names no second repository, so the push token for mirror/c serves it
    assert.ok(dstReg.tokenServer!.requests.every((q) => q.scopes.every((x) => !x.startsWith('repository:') || x.startsWith('repository:mirror/c:'))), JSON.stringify(dstReg.tokenServer!.requests.map((q) => q.scopes)));
    for (const x of c.blobs) assert.equal(await headBlob(dst, { repository: 'mirror/c', digest: x.digest }, 'pull'), x.size);
  });

  test('blobs the repository already holds (a new tag of a known image) are answered 201 by the mount from itself: nothing uploaded', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const m = makeImage({ kind: 'docker', layers: [30_000, 2000], seed: 'self-mount-warm' });
    await pushImage(srcReg, 'app', 'v1', m);
    await pushImage(srcReg, 'app', 'v2', m);
    const p = await proxy({ upstream: { url: dstReg.url } });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: p.url });
    const transfers = new BlobTransfers();
    await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`), { transfers });
    assert.equal((await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/copy:v1`), { transfers })).blobs.mounted, 3);
    p.reset();
    const r = await copyImage(src, parseReference(`${srcReg.host}/app:v2`), dst, parseReference(`${dstReg.host}/app:v2`));
    assert.equal(r.action, 'copied');
    assert.deepEqual(r.blobs, { copied: 0, mounted: 0, existing: 3 });
    assert.deepEqual(p.filter({ method: 'POST' }).map((x) => `${x.status} ${x.path}`).sort(), m.blobs.map((x) => `201 ${selfMount('app', x.digest)}`).sort());
    assert.equal(p.count({ method: 'PUT', pathRegex: /\/blobs\/uploads\// }), 0, 'no blob uploaded');
    assert.equal(blobHeads(p), 0);
  });

  test('a registry that never mounts (202 to every mount, as some do) is asked with HEAD: blobs it holds are not uploaded again', async () => {
    // every mount loses mount and from: the registry opens a plain upload session, as one without mount support does
    const { srcReg, dstReg, p, src, dst } = await behindMountStripper('never-mounts', (url) => url.includes('mount='));
    const transfers = new BlobTransfers();
    await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/app:v1`), { transfers });
    const second = await copyImage(src, parseReference(`${srcReg.host}/app:v1`), dst, parseReference(`${dstReg.host}/copy:v1`), { transfers });
    assert.equal(second.blobs.copied, 3, 'the mounts opened sessions instead; the blobs were uploaded');
    p.reset();
    const r = await copyImage(src, parseReference(`${srcReg.host}/app:v2`), dst, parseReference(`${dstReg.host}/app:v2`), { transfers: new BlobTransfers() });
    assert.deepEqual(r.blobs, { copied: 0, mounted: 0, existing: 3 });
    assert.equal(blobHeads(p), 3);
    assert.equal(p.count({ method: 'POST' }), 0, 'no mount from the repository itself, no upload');
  });

  test('a registry that refuses the mount from the repository itself is asked with HEAD instead, and not asked that way again', async () => {
    const srcReg = await registry();
    const dstReg = await registry();
    const one = makeImage({ kind: 'oci', layers: [30_000, 2000], seed: 'self-mount-refused-1' });
    const two = makeImage({ kind: 'oci', layers: [20_000, 1000], seed: 'self-mount-refused-2' });
    const three = makeImage({ kind: 'oci', layers: [10_000], seed: 'self-mount-refused-3' });
    await pushImage(srcReg, 'app', 'v1', one);
    await pushImage(srcReg, 'app', 'v2', two);
    await pushImage(srcReg, 'app', 'v3', three);
    const p = await proxy({
      upstream: { url: dstReg.url },
      onRequest: (req) =>
        req.method === 'POST' && isSelfMount(req.url)
          ? { respond: (res) => void res.writeHead(405, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNSUPPORTED","message":"mount"}]}') }
          : 'pass',
    });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: p.url });
    const transfers = new BlobTransfers();
    const copy = (tag: string, repo = 'app') => copyImage(src, parseReference(`${srcReg.host}/app:${tag}`), dst, parseReference(`${dstReg.host}/${repo}:${tag}`), { transfers });
    await copy('v1');
    assert.equal(p.count({ method: 'POST', status: 405 }), 1, 'the test after the first blob landed was refused');
    assert.equal((await copy('v1', 'other')).blobs.mounted, 3, 'cross-repository mounts work on this registry');
    p.reset();
    assert.equal((await copy('v2')).blobs.copied, 3);
    assert.equal(blobHeads(p), 3);
    p.reset();
    assert.equal((await copy('v3')).blobs.copied, 2);
    assert.equal(p.count({ method: 'POST', pathRegex: /mount=/ }), 0, 'once refused, the registry is not asked with a mount from the repository itself again');
    assert.equal(blobHeads(p), 2);
    for (const b of [...one.blobs, ...two.blobs, ...three.blobs]) assert.equal(await blobStatus(dstReg, 'app', b.digest), 200);
  });

  test('a registry that mounts across repositories but answers 202 to a mount from the repository itself is asked with HEAD: held blobs are not uploaded again', async () => {
    // a mount from the repository itself opens a plain session; mounts from another repository work
    const { srcReg, dstReg, p, src, dst } = await behindMountStripper('self-mount-202', isSelfMount);
    const transfers = new BlobTransfers();
    const copy = (tag: string, repo: string) => copyImage(src, parseReference(`${srcReg.host}/app:${tag}`), dst, parseReference(`${dstReg.host}/${repo}:${tag}`), { transfers });
    await copy('v1', 'app');
    assert.equal((await copy('v1', 'other')).blobs.mounted, 3, 'cross-repository mounts answer 201');
    p.reset();
    // a fresh run memory (as in the next run of the daemon): only the registry can say what app holds
    const r = await copyImage(src, parseReference(`${srcReg.host}/app:v2`), dst, parseReference(`${dstReg.host}/app:v2`), { transfers: new BlobTransfers() });
    assert.deepEqual(r.blobs, { copied: 0, mounted: 0, existing: 3 }, 'a 201 from another repository proves nothing about a mount from the repository itself');
    assert.equal(blobHeads(p), 3);
    assert.equal(p.count({ method: 'PUT', pathRegex: /\/blobs\/uploads\// }), 0, 'nothing uploaded again');
  });
});

describe('no concurrent writes of one blob or manifest into one repository', () => {
  test('parallel copies into shared repositories link each blob and child manifest once per repository', async () => {
    // distribution rewrites link files in place: two writes of one blob into one repository while a manifest PUT
    // reads the link fail that PUT with DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN (seen in the benchmark). ferry
    // must never issue such writes concurrently.
    const srcReg = await registry();
    const dstReg = await registry();
    const base = makeImage({ kind: 'oci', layers: [120_000, 800], seed: 'race-base' });
    const images = [0, 1, 2, 3, 4, 5].map((i) =>
      makeIndex({ kind: 'oci-index', children: [base, makeImage({ kind: 'oci', layers: [120_000, 900 + i], seed: `race-${i}`, platform: { os: 'linux', architecture: 'arm64' } })] }),
    );
    const repos = ['r/one', 'r/two'];
    for (const [i, m] of images.entries()) await pushImage(srcReg, repos[i % 2]!, `t${i}`, m);
    const p = await proxy({ upstream: { url: dstReg.url } });
    const src = await client(srcReg);
    const dst = await client(dstReg, { via: p.url });
    const transfers = new BlobTransfers();
    await Promise.all(
      images.map((_, i) => copyImage(src, parseReference(`${srcReg.host}/${repos[i % 2]}:t${i}`), dst, parseReference(`${dstReg.host}/${repos[i % 2]}:t${i}`), { transfers })),
    );
    const shared = base.blobs[1]!.digest;
    // ferry's one test of a mount from the repository itself (201 for a blob that just landed) also rewrites a link,
    // before the run records the blob there, so before any manifest PUT that needs it; on this empty target every
    // other mount from the repository itself answers 202 and writes nothing
    const proof = (r: { method: string; path: string }): boolean => r.method === 'POST' && new URLSearchParams(r.path.split('?')[1]).get('from') === r.path.slice(4).split('/blobs/')[0];
    assert.ok(p.records.filter((r) => proof(r) && r.status === 201).length <= 1, 'one test per registry');
    for (const repo of repos) {
      const links = p.records.filter(
        (r) =>
          r.path.startsWith(`/v2/${repo}/blobs/uploads/`) &&
          !proof(r) &&
          ((r.method === 'PUT' && r.path.includes(encodeURIComponent(shared))) || (r.method === 'POST' && r.path.includes(`mount=${encodeURIComponent(shared)}`) && r.status === 201)),
      );
      assert.equal(links.length, 1, `${repo}: the shared layer is linked once (${links.map((l) => `${l.method} ${l.status}`).join(', ')})`);
      const childPuts = p.records.filter((r) => r.method === 'PUT' && r.path === `/v2/${repo}/manifests/${base.digest}`);
      assert.equal(childPuts.length, 1, `${repo}: the shared child manifest is pushed once`);
    }
  });
});
