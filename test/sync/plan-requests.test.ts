/**
 * What planning asks, counted at real registries behind recording proxies: a tag the target lacks costs no
 * target HEAD once the target's tags are listed, and (in a sync run) no source HEAD either, since its copy reads
 * the manifest anyway. `ferry plan` still HEADs the source, for exact digests and pulls.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectRegistry } from '../../src/registry/connect.js';
import { systemClock } from '../../src/clock.js';
import { planTask } from '../../src/sync/plan-task.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type ImageReport, type SyncEvent } from '../../src/sync/run-events.js';
import { makeImage, makeIndex, pushImage, type TestManifest } from '../harness/images.js';
import type { IncomingMessage } from 'node:http';
import type { ProxyHandle, ProxyOptions } from '../harness/proxy.js';
import { onCleanup, proxy, registry } from '../engine/helpers.js';
import { tagsOf } from '../cli/helpers.js';

const img = (seed: string): TestManifest => makeImage({ kind: 'oci', layers: [2000], seed });

/** A proxy hook answering the requests `pick` selects with a registry error, passing the rest. */
function answerWith(pick: (req: IncomingMessage) => boolean, status: number, code: string, message: string): NonNullable<ProxyOptions['onRequest']> {
  const body = JSON.stringify({ errors: [{ code, message }] });
  return (req) => (pick(req) ? { respond: (res) => void res.writeHead(status, { 'content-type': 'application/json' }).end(body) } : 'pass');
}

/** Requests a proxy saw for one repository: `METHOD kind reference` (kind: manifests | tags | blobs). */
function asked(p: ProxyHandle, repo: string, method: string, kind: 'manifests' | 'tags'): string[] {
  const prefix = `/v2/${repo}/${kind}/`;
  return p.records.filter((r) => r.method === method && r.path.startsWith(prefix)).map((r) => r.path.slice(prefix.length)).sort();
}

/** team/app → mirror/app in task `t`; `other` tags go into team/other, mapped to mirror/other by a second task `t2`. */
async function setup(targetHas: Record<string, TestManifest>, sourceTags: Record<string, TestManifest>, other: Record<string, TestManifest> = {}) {
  const src = await registry();
  const dst = await registry();
  for (const [tag, m] of Object.entries(sourceTags)) await pushImage(src, 'team/app', tag, m);
  for (const [tag, m] of Object.entries(other)) await pushImage(src, 'team/other', tag, m);
  for (const [tag, m] of Object.entries(targetHas)) await pushImage(dst, 'mirror/app', tag, m);
  const viaSrc = await proxy({ upstream: src });
  const viaDst = await proxy({ upstream: dst });
  const yaml = `registries:
  source.example.com: {endpoint: '${viaSrc.url}'}
  target.example.com: {endpoint: '${viaDst.url}'}
tasks:
  - name: t
    source: {registry: source.example.com, auth: none}
    target: {registry: target.example.com, auth: none}
    mappings:
      - {from: team/app, to: mirror/app}
  - name: t2
    source: {registry: source.example.com, auth: none}
    target: {registry: target.example.com, auth: none}
    mappings:
      - {from: team/other, to: mirror/other}
`;
  const { config } = parseConfig(yaml, 'plan-requests.yaml');
  const bus = new SyncEventBus();
  const reports: ImageReport[] = [];
  const planned: SyncEvent[] = [];
  bus.on((e) => void (e.type === 'image-finished' ? reports.push(e.report) : e.type === 'task-planned' && planned.push(e)));
  const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus });
  after(() => rt.close());
  return { src, dst, viaSrc, viaDst, config, rt, reports, planned };
}

describe('planning asks only what it must', () => {
  test('a new repository: one target listing replaces the HEAD of every later tag, and the source is not HEADed for them', async () => {
    const tags = { a1: img('n-a1'), a2: img('n-a2'), a3: makeIndex({ kind: 'oci-index', children: [img('n-a3-amd'), img('n-a3-arm')] }), a4: img('n-a4') };
    const s = await setup({}, tags);
    const summary = await s.rt.run(s.config.tasks[0]!);
    assert.deepEqual([summary.ok, summary.copied, summary.failed], [true, 4, 0], JSON.stringify(s.reports));
    // the first tag is asked on both sides; its 404 on the target brings one listing, which answers for the rest
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'HEAD', 'manifests').filter((r) => !r.startsWith('sha256:')), ['a1']);
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'GET', 'tags'), ['list']);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'HEAD', 'manifests'), ['a1']);
    // the copies read each manifest once (the index and its two children): no more pulls than before
    assert.equal(asked(s.viaSrc, 'team/app', 'GET', 'manifests').length, 6);
    assert.equal(summary.pulls, 6);
    // planned before the copies read the manifests: one pull each (the index a3, not asked, needed 3), said to be a guess
    const p = s.planned[0];
    assert.deepEqual(p?.type === 'task-planned' && [p.pullsNeeded, p.pullsEstimated], [4, true]);
    assert.deepEqual(await tagsOf(s.dst, 'mirror/app'), ['a1', 'a2', 'a3', 'a4']);
    for (const [tag, m] of Object.entries(tags)) {
      const r = s.reports.find((x) => x.target.endsWith(`:${tag}`));
      assert.equal(r?.targetDigest, m.digest, `${tag} lands under the source digest`);
      assert.equal(r?.sourceDigest, m.digest, `${tag} reports the source digest it read`);
    }

    // the next run finds the first tag on the target: no listing, a HEAD pair per tag, no pull
    s.viaSrc.reset();
    s.viaDst.reset();
    const again = await s.rt.run(s.config.tasks[0]!);
    assert.deepEqual([again.copied, again.upToDate], [0, 4]);
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'GET', 'tags'), []);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'HEAD', 'manifests'), ['a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'GET', 'manifests'), []);
  });

  test("a target answering the listing of a new repository with 404 and its own error code (Harbor's NOT_FOUND) is read as no tags", async () => {
    const s = await setup({}, { h1: img('h-h1'), h2: img('h-h2'), h3: img('h-h3') });
    s.viaDst.options.onRequest = answerWith((req) => req.url?.startsWith('/v2/mirror/app/tags/list') === true, 404, 'NOT_FOUND', 'repository mirror/app not found');
    const summary = await s.rt.run(s.config.tasks[0]!);
    assert.deepEqual([summary.ok, summary.copied], [true, 3]);
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'HEAD', 'manifests').filter((r) => !r.startsWith('sha256:')), ['h1']);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'HEAD', 'manifests'), ['h1']);
  });

  test('a repository the target partly has: tags in its listing are still compared by HEAD, the others are not asked', async () => {
    const changed = img('p-b3-new');
    const s = await setup({ b3: img('p-b3-old'), b4: img('p-b4') }, { b1: img('p-b1'), b2: img('p-b2'), b3: changed, b4: img('p-b4') });
    const summary = await s.rt.run(s.config.tasks[0]!);
    assert.deepEqual([summary.copied, summary.upToDate, summary.failed], [3, 1, 0]);
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'HEAD', 'manifests').filter((r) => !r.startsWith('sha256:')), ['b1', 'b3', 'b4']);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'HEAD', 'manifests'), ['b1', 'b3', 'b4']);
    const b3 = s.reports.find((r) => r.target.endsWith(':b3'));
    assert.equal(b3?.targetDigest, changed.digest, 'a tag whose digest differs is still copied');
    assert.match(b3?.reason ?? '', /another digest/);
  });

  test('a target that refuses to list its tags: every tag is asked by HEAD, the sync is the same, and it is not asked to list again', async () => {
    const s = await setup({}, { c1: img('r-c1'), c2: img('r-c2'), c3: img('r-c3') }, { o1: img('r-o1'), o2: img('r-o2'), o3: img('r-o3') });
    s.viaDst.options.onRequest = answerWith((req) => req.url?.includes('/tags/list') === true, 403, 'DENIED', 'no listing');
    const summary = await s.rt.run(s.config.tasks[0]!);
    assert.deepEqual([summary.ok, summary.copied], [true, 3]);
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'HEAD', 'manifests').filter((r) => !r.startsWith('sha256:')), ['c1', 'c2', 'c3']);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'HEAD', 'manifests'), ['c1', 'c2', 'c3']);
    assert.equal(s.viaDst.count({ method: 'GET', pathRegex: /\/tags\/list/, status: 403 }), 1);
    // another new repository on the same target, in the next task run: the refusal is remembered
    const other = await s.rt.run(s.config.tasks[1]!);
    assert.deepEqual([other.ok, other.copied], [true, 3]);
    assert.equal(s.viaDst.count({ method: 'GET', pathRegex: /\/tags\/list/ }), 1, 'no second listing');
    assert.deepEqual(asked(s.viaDst, 'mirror/other', 'HEAD', 'manifests').filter((r) => !r.startsWith('sha256:')), ['o1', 'o2', 'o3']);
  });

  test('a listed tag whose manifest is gone fails as not found on the source, naming it; the others copy', async () => {
    const s = await setup({}, { d1: img('g-d1'), d2: img('g-d2'), d3: img('g-d3') });
    s.viaSrc.options.onRequest = answerWith((req) => req.method === 'GET' && req.url === '/v2/team/app/manifests/d3', 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    const summary = await s.rt.run(s.config.tasks[0]!);
    assert.deepEqual([summary.copied, summary.failed], [2, 1]);
    const d3 = s.reports.find((r) => r.target.endsWith(':d3'));
    assert.equal(d3?.action, 'failed');
    assert.equal(d3?.errorCode, 'NOT_FOUND');
    assert.match(d3?.reason ?? '', /source image source\.example\.com\/team\/app:d3 not found \(registry source\.example\.com, repository team\/app, reference d3\)/);
  });

  test('ferry plan lists the target too, but HEADs the source for every tag: digests and pulls are exact', async () => {
    const index = makeIndex({ kind: 'oci-index', children: [img('e-amd'), img('e-arm'), img('e-s390x')] });
    const s = await setup({}, { e1: img('e-e1'), e2: index, e3: img('e-e3') });
    const task = s.config.tasks[0]!;
    const connect = async (host: string, endpoint: string) => {
      const c = await connectRegistry(host, { endpoint, tlsVerify: true });
      onCleanup(() => c.close());
      return c;
    };
    const plan = await planTask(task, { src: await connect('source.example.com', s.viaSrc.url), dst: await connect('target.example.com', s.viaDst.url) });
    assert.deepEqual(asked(s.viaDst, 'mirror/app', 'HEAD', 'manifests'), ['e1']);
    assert.deepEqual(asked(s.viaSrc, 'team/app', 'HEAD', 'manifests'), ['e1', 'e2', 'e3']);
    const actions = plan.mappings[0]!.repositories[0]!.plan!.actions;
    const e2 = actions.find((a) => a.kind === 'copy' && a.key === 'e2');
    assert.equal(e2?.kind === 'copy' && e2.sourceDigest, index.digest);
    // an index counts at least 2 (itself and one child) until it is read, the two images 1 each
    assert.equal(plan.pulls, 4);
    assert.equal(plan.pullsEstimated, true);
    assert.equal(asked(s.viaSrc, 'team/app', 'GET', 'manifests').length, 0, 'planning pulls nothing');
  });
});
