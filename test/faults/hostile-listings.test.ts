/**
 * Memory bounds against hostile listings (issue 14 item 7) and invalid listed names (item 2): a proxy in front of
 * a real registry rewrites tags/list and _catalog bodies; small HTTP servers play the Hub and Harbor APIs.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { isFerryError, type FerryError } from '../../src/errors.js';
import { dockerHubLister, harborLister } from '../../src/listers/index.js';
import { MAX_API_BODY_BYTES, MAX_API_REPOSITORIES } from '../../src/listers/api-limits.js';
import { validatedLister } from '../../src/listers/validated.js';
import { DEFAULT_LISTING_LIMITS, listCatalog, listTags } from '../../src/registry/listing.js';
import { makeImage, pushImage } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { client, proxy, registry } from '../engine/helpers.js';
import { apiSession } from '../sync/api-session.js';

const servers: Array<{ close(): void }> = [];
after(() => servers.forEach((s) => s.close()));

async function api(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

/** A client whose source answers `path` with `body` (a proxy in front of a real registry). */
async function rewriting(reg: RegistryHandle, path: RegExp, body: () => string) {
  const p = await proxy({
    upstream: reg,
    transformResponse: (req, up) => {
      if (req.method !== 'GET' || !path.test(req.url ?? '')) return undefined;
      up.body.resume();
      const b = Buffer.from(body());
      return { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(b.length) }, body: Readable.from([b]) };
    },
  });
  return client(reg, { via: p.url });
}

const refused = (pattern: RegExp) => (e: unknown) => isFerryError(e, 'RESPONSE_INVALID') && pattern.test(e.message);

describe('hostile listings', () => {
  let reg: RegistryHandle;

  test('setup: a real registry with one repository', async () => {
    reg = await registry();
    await pushImage(reg, 'team/app', 'v1', makeImage({ kind: 'oci', layers: [32], seed: 'l' }));
  });

  test('invalid listed tags are skipped, each reported once with the escaped name', async () => {
    const c = await rewriting(reg, /\/tags\/list/, () => JSON.stringify({ tags: ['v1', 'a\nb', 'y?digest=sha256:00', 'a\nb', '.hidden', 'x'.repeat(129)] }));
    const seen: FerryError[] = [];
    assert.deepEqual(await listTags(c, 'team/app', undefined, { onInvalid: (e) => seen.push(e) }), ['v1']);
    assert.deepEqual(
      seen.map((e) => e.context.reference),
      ['a\\nb', 'y?digest=sha256:00', '.hidden', 'x'.repeat(129)],
    );
    for (const e of seen) {
      assert.equal(e.code, 'REFERENCE_INVALID');
      assert.ok(!e.message.includes('\n'));
      assert.match(e.message, new RegExp(`registry ${reg.host.replace(/\./g, '\\.')}.*repository team/app`));
    }
  });

  test(`tags per repository: over ${DEFAULT_LISTING_LIMITS.maxTags} fails the listing`, async () => {
    const n = DEFAULT_LISTING_LIMITS.maxTags + 1;
    const c = await rewriting(reg, /\/tags\/list/, () => JSON.stringify({ tags: Array.from({ length: n }, (_, i) => `t${i}`) }));
    await assert.rejects(listTags(c, 'team/app'), refused(/lists more than 100000 tags for repository team\/app/));
  });

  test(`repositories per catalog: over ${DEFAULT_LISTING_LIMITS.maxRepositories} fails the listing`, async () => {
    const n = DEFAULT_LISTING_LIMITS.maxRepositories + 1;
    const c = await rewriting(reg, /\/_catalog/, () => JSON.stringify({ repositories: Array.from({ length: n }, (_, i) => `r${i}`) }));
    await assert.rejects(listCatalog(c), refused(/lists more than 100000 repositories/));
  });

  test('a page over the page cap fails the listing (cap injected; default 16 MiB)', async () => {
    assert.equal(DEFAULT_LISTING_LIMITS.maxPageBytes, 16 * 1024 * 1024);
    const c = await rewriting(reg, /\/tags\/list/, () => JSON.stringify({ tags: Array.from({ length: 500 }, (_, i) => `t${i}`) }));
    await assert.rejects(listTags(c, 'team/app', undefined, { limits: { maxPageBytes: 1024 } }), refused(/tags page .* larger than 1024 bytes/));
  });

  test('a Hub API body over 8 MiB fails the listing', async () => {
    const big = JSON.stringify({ next: null, results: [{ name: 'a', filler: 'x'.repeat(MAX_API_BODY_BYTES) }] });
    const hub = await api((_req, res) => res.end(big));
    const l = dockerHubLister({ session: apiSession(), namespace: 'ns', credentials: async () => undefined, maxItems: null, api: hub });
    await assert.rejects(l.list(), refused(/sent more than 8388608 bytes/));
  });

  test('a Hub API body without Content-Length is cut at the cap too', async () => {
    const hub = await api((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write('{"next":null,"results":[{"name":"a","filler":"');
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 9; i++) res.write(chunk);
      res.end('"}]}');
    });
    const l = dockerHubLister({ session: apiSession(), namespace: 'ns', credentials: async () => undefined, maxItems: null, api: hub });
    await assert.rejects(l.list(), refused(/sent more than/));
  });

  test(`Hub and Harbor listings over ${MAX_API_REPOSITORIES} repositories fail`, async () => {
    const n = MAX_API_REPOSITORIES + 1;
    const hubBody = JSON.stringify({ next: null, results: Array.from({ length: n }, (_, i) => ({ name: `r${i}`, namespace: 'ns' })) });
    const hub = await api((_req, res) => res.end(hubBody));
    await assert.rejects(dockerHubLister({ session: apiSession(), namespace: 'ns', credentials: async () => undefined, maxItems: null, api: hub }).list(), refused(/more than 100000 repositories/));
    const harborBody = JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `p/r${i}` })));
    const harbor = await api((_req, res) => res.end(harborBody));
    await assert.rejects(harborLister({ session: apiSession({ endpoint: harbor, registry: 'harbor.test' }), project: 'p', credentials: async () => undefined, maxItems: null }).list(), refused(/Harbor project p: more than 100000/));
  });

  test('a Harbor API body over 8 MiB fails the listing', async () => {
    const big = JSON.stringify([{ name: 'p/a', filler: 'x'.repeat(MAX_API_BODY_BYTES) }]);
    const harbor = await api((_req, res) => res.end(big));
    await assert.rejects(harborLister({ session: apiSession({ endpoint: harbor, registry: 'harbor.test' }), project: 'p', credentials: async () => undefined, maxItems: null }).list(), refused(/sent more than/));
  });

  test('names from Hub, Harbor or index APIs that break the grammar are skipped with one escaped warning each', async () => {
    const hub = await api((_req, res) => res.end(JSON.stringify({ next: null, results: [{ name: 'ok', namespace: 'ns' }, { name: '../etc', namespace: 'ns' }, { name: 'Bad\nName', namespace: 'ns' }, { name: '../etc', namespace: 'ns' }] })));
    const warnings: string[] = [];
    const logger = { trace() {}, debug() {}, info() {}, error() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''), child: () => logger };
    const l = validatedLister(dockerHubLister({ session: apiSession(), namespace: 'ns', credentials: async () => undefined, maxItems: null, api: hub }), logger);
    assert.deepEqual(await l.list(), ['ns/ok']);
    assert.deepEqual(warnings, ['dockerhub ns listed an invalid repository name "ns/../etc"; skipping it', 'dockerhub ns listed an invalid repository name "ns/Bad\\nName"; skipping it']);
  });

  test('catalog names that break the grammar are skipped, quoted escaped', async () => {
    const c = await rewriting(reg, /\/_catalog/, () => JSON.stringify({ repositories: ['ok/a', 'bad\u001b[2Jname', '../x'] }));
    const seen: FerryError[] = [];
    assert.deepEqual(await listCatalog(c, { onInvalid: (e) => seen.push(e) }), ['ok/a']);
    assert.deepEqual(seen.map((e) => e.context.repository), ['bad\\u001b[2Jname', '../x']);
    for (const e of seen) assert.doesNotMatch(e.message, /\u001b/);
  });
});
