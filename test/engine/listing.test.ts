/** Listing against a real distribution 2.8.2: catalog pagination with Link headers (n honoured), tags (n ignored). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listCatalog, listTags } from '../../src/registry/listing.js';
import { makeImage, pushImage, pushManifest } from '../harness/images.js';
import { client, proxy, registry } from './helpers.js';

describe('listing', () => {
  test('catalog follows relative Link pages to the end; maxItems stops early; tags come whole', async () => {
    const reg = await registry({ auth: 'token' });
    const img = makeImage({ kind: 'oci', layers: [100], seed: 'list' });
    const repos = ['a/one', 'a/two', 'b/three', 'c/four', 'd/five'];
    for (const r of repos) await pushImage(reg, r, 'v1', img);
    for (const t of ['v2', 'v3', 'latest']) await pushManifest(reg, 'a/one', t, img.mediaType, img.manifestBytes);
    const p = await proxy({ upstream: { url: reg.url } });
    const c = await client(reg, { via: p.url });
    assert.deepEqual((await listCatalog(c, { pageSize: 2 })).sort(), [...repos].sort());
    const pages = p.filter({ method: 'GET', pathRegex: /_catalog/ }).filter((x) => x.status === 200);
    assert.equal(pages.length, 3, 'three pages of two (the last partial): Link followed, no extra request');
    assert.ok(reg.tokenServer!.requests.some((q) => q.scopes.includes('registry:catalog:*')), 'catalog scope asked');
    p.reset();
    assert.equal((await listCatalog(c, { pageSize: 2, maxItems: 3 })).length, 3);
    assert.equal(p.count({ method: 'GET', pathRegex: /_catalog/ }), 2, 'stops fetching once maxItems is reached');
    assert.deepEqual((await listTags(c, 'a/one')).sort(), ['latest', 'v1', 'v2', 'v3']);
  });
});
