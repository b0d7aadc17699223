/**
 * Done-means test for issues 3 and 13: both seed configs, only their placeholders filled, Docker Hub pointed at a
 * local registry (behind a counting proxy) through the `registries:` endpoint mechanism, run back to back with
 * `-once`. The target is what issue 13 met: TLS with a self-signed certificate on 127.0.0.1, reached through the
 * seed's own `skip-tls-verify: true`, as a Harbor-style `robot$…` account. The stand-in Hub sends no rate-limit
 * headers, so no pull reserve applies.
 * Expected tag sets are worked out BY HAND below from dregsy's rules, not by calling ferry's filter.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { makeImage, makeIndex, pushImage, pushManifest, type TestManifest } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import type { ProxyHandle } from '../harness/proxy.js';
import { proxy, registry } from '../engine/helpers.js';
import { catalogOf, digestOf, dregsyAuth, ferry, fillSeed, jsonLines, tagsOf } from './helpers.js';

const SEED = join(import.meta.dirname, '../../examples');
const ROBOT = 'robot$ferry+sync';

const CORE_DOC = ['spacectl', 'marketplace-assets', 'docs'];
const CORE = ['console', 'inventory', 'console-api', 'cost-analysis', 'statistics', 'secret', 'file-manager', 'monitoring', 'supervisor', 'identity', 'notification', 'repository', 'plugin', 'config', 'console-api-v2', 'board', 'dashboard'];
const PLUGINS = [
  'plugin-google-cloud-inven-collector', 'plugin-azure-inven-collector', 'plugin-aws-cloudwatch-mon-datasource', 'plugin-azure-activity-log-mon-datasource',
  'plugin-aws-cloudtrail-mon-datasource', 'plugin-aws-ec2-inven-collector', 'plugin-aws-sns-mon-webhook', 'plugin-aws-trusted-advisor-inven-collector',
  'plugin-azure-monitor-mon-datasource', 'plugin-email-noti-protocol', 'plugin-google-stackdriver-mon-datasource', 'plugin-telegram-noti-protocol',
  'plugin-keycloak-identity-auth', 'plugin-prometheus-mon-webhook', 'plugin-slack-noti-protocol', 'plugin-grafana-mon-webhook',
  'plugin-aws-cloud-service-inven-collector', 'plugin-aws-phd-inven-collector', 'plugin-api-direct-mon-webhook', 'plugin-azure-cost-mgmt-cost-datasource',
  'plugin-aws-cost-explorer-cost-datasource', 'plugin-ms-teams-noti-protocol', 'plugin-google-monitoring-mon-webhook', 'plugin-http-file-cost-datasource',
  'plugin-google-cloud-log-mon-datasource',
];

/** Source repository → its tags; `expected` is what dregsy selects, worked out by hand. */
interface RepoFixture {
  repo: string;
  tags: string[];
  expected: string[];
  /** tags pushed as a multi-arch index */
  multiArch?: string[];
}

// 'regex: 1\.11\.(?:[0-9]?[0-9]).*' — anchored: "1.11." then one or two digits then anything.
const CORE_TAGS = ['1.11.0', '1.11.3', '1.11.12-rc1', '1.10.5', '1.12.0', 'latest'];
const CORE_EXPECTED = ['1.11.0', '1.11.12-rc1', '1.11.3'];
// spacectl adds edge cases: 1.11.100 matches ("10" then ".*" takes "0"); 1.111.0 and v1.11.0 do not.
const SPACECTL_TAGS = [...CORE_TAGS, '1.11.100', '1.111.0', 'v1.11.0'];
const SPACECTL_EXPECTED = ['1.11.0', '1.11.100', '1.11.12-rc1', '1.11.3'];

// 'semver: >=1.0.0 <1.99.0' + 'keep: latest 2' — prereleases are eligible (blang), highest two by semver.
const PLUGIN_TAGS = ['1.0.0', '1.2.0-rc.1', '1.2.0', '1.10.3', '1.98.5-beta', '1.99.0', '2.0.0', 'latest'];
const PLUGIN_EXPECTED = ['1.10.3', '1.98.5-beta'];
const PLUGIN_SPECIAL: Record<string, { tags: string[]; expected: string[] }> = {
  // only two in range, one of them a prerelease
  'plugin-aws-sns-mon-webhook': { tags: ['1.0.0', '1.1.0-rc1', '2.0.0', 'latest'], expected: ['1.0.0', '1.1.0-rc1'] },
  // tolerant parsing strips "v": v1.2.0, v1.3.0, 1.3.1 in range; newest two are 1.3.1 and v1.3.0
  'plugin-slack-noti-protocol': { tags: ['v1.2.0', 'v1.3.0', '1.3.1', 'v2.0.0'], expected: ['1.3.1', 'v1.3.0'] },
  // short versions are filled: 1.5 → 1.5.0, 1.6 → 1.6.0, 2.0 out of range
  'plugin-keycloak-identity-auth': { tags: ['1.4.2', '1.5', '1.6', '2.0'], expected: ['1.5', '1.6'] },
};

function fixtures(): RepoFixture[] {
  const out: RepoFixture[] = [];
  for (const r of [...CORE_DOC, ...CORE]) {
    const spacectl = r === 'spacectl';
    out.push({ repo: `spaceone/${r}`, tags: spacectl ? SPACECTL_TAGS : CORE_TAGS, expected: spacectl ? SPACECTL_EXPECTED : CORE_EXPECTED, ...(spacectl || r === 'console' ? { multiArch: ['1.11.0'] } : {}) });
  }
  for (const r of PLUGINS) {
    const s = PLUGIN_SPECIAL[r];
    out.push({ repo: `spaceone/${r}`, tags: s?.tags ?? PLUGIN_TAGS, expected: s?.expected ?? PLUGIN_EXPECTED, ...(r === 'plugin-azure-inven-collector' ? { multiArch: ['1.98.5-beta'] } : {}) });
  }
  // official images: `from: redis` means library/redis on the (Hub-aliased) source
  out.push({ repo: 'library/redis', tags: ['latest', '7.2'], expected: ['latest'], multiArch: ['latest'] });
  out.push({ repo: 'library/mongo', tags: ['latest', '6.0'], expected: ['latest'] });
  return out;
}

function imageFor(repo: string, tag: string, multi: boolean): TestManifest {
  const seed = `${repo}:${tag}`;
  if (!multi) return makeImage({ kind: 'docker', layers: [48], seed });
  return makeIndex({
    kind: 'oci-index',
    children: [
      makeImage({ kind: 'oci', layers: [40], seed: `${seed}:amd64` }),
      makeImage({ kind: 'oci', layers: [40], seed: `${seed}:arm64`, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }),
    ],
  });
}

async function limited<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await f(items[i++] as T);
  }));
}

describe('seed configs run unchanged against a local "Docker Hub"', () => {
  let src: RegistryHandle;
  let dst: RegistryHandle;
  let hub: ProxyHandle;
  let dir: string;
  const digests = new Map<string, string>();
  const all = fixtures();

  before(async () => {
    // the target as the issue met it: TLS with a self-signed certificate on a loopback IP, a Harbor-style robot account
    [src, dst] = await Promise.all([registry({ auth: 'htpasswd' }), registry({ auth: 'htpasswd', tls: true, users: { [ROBOT]: 'robot-pass-1' } })]);
    hub = await proxy({ upstream: src });
    dir = await mkdtemp(join(tmpdir(), 'ferry-seed-'));
    const started = Date.now();
    // repositories in parallel, tags of one repository one after another (they share blobs)
    await limited(all, 16, async (f) => {
      let decoyPushed = false;
      for (const tag of f.tags) {
        // tags dregsy does not select share one image per repository: after its first push, a manifest PUT suffices
        const selected = f.expected.includes(tag);
        const m = imageFor(f.repo, selected ? tag : 'decoy', selected && (f.multiArch?.includes(tag) ?? false));
        if (!selected && decoyPushed) await pushManifest(src, f.repo, tag, m.mediaType, m.manifestBytes);
        else await pushImage(src, f.repo, tag, m);
        if (!selected) decoyPushed = true;
        digests.set(`${f.repo}:${tag}`, m.digest);
      }
    });
    console.log(`seed fixtures: ${digests.size} tags in ${all.length} repositories pushed in ${Date.now() - started} ms`);
  });

  async function config(name: string): Promise<string> {
    const seed = await readFile(join(SEED, name), 'utf8');
    const file = join(dir, name);
    await writeFile(file, fillSeed(seed, { sourceAuth: dregsyAuth(src), targetAuth: dregsyAuth(dst), target: dst.host, project: 'ferry', hubEndpoint: hub.url }));
    return file;
  }

  const manifestGets = (): number => hub.count({ method: 'GET', pathRegex: /\/manifests\// });
  /** manifest requests the target has answered so far, by method (its access log) */
  const targetManifests = async (method: string): Promise<number> => (await dst.accessLog()).filter((e) => e.method === method && e.path.includes('/manifests/')).length;

  async function check(selected: RepoFixture[]): Promise<void> {
    for (const f of selected) {
      const target = `ferry/spaceone/${f.repo.split('/')[1]}`;
      assert.deepEqual(await tagsOf(dst, target), [...f.expected].sort(), `tags of ${target}`);
      for (const tag of f.expected) assert.equal(await digestOf(dst, target, tag), digests.get(`${f.repo}:${tag}`), `digest of ${target}:${tag}`);
    }
  }

  const isCore = (f: RepoFixture): boolean => (f.repo.startsWith('spaceone/') && !f.repo.includes('plugin-')) || f.repo.startsWith('library/');
  const first: Record<string, { ms: number; gets: number }> = {};

  test('first runs, back to back (core, then plugin): exactly the selected tags land on the TLS target, with identical digests', async () => {
    const coreFile = await config('dregsy-spaceone-core.yaml');
    hub.reset();
    const core = await ferry([`-config=${coreFile}`, '-once'], { LOG_FORMAT: 'json' });
    assert.equal(core.code, 0, core.stdout.slice(-3000) + core.stderr);
    first.core = { ms: core.ms, gets: manifestGets() };
    const lines = jsonLines(core.stdout);
    assert.equal(lines.filter((l) => String(l.msg).startsWith('copied')).length, 20 * 3 + 1 + 2, 'one "copied" line per selected tag');
    assert.equal(lines.filter((l) => String(l.msg).startsWith('filtered out')).length, 20 * 3 + 2, 'one "filtered out" line per listed tag not selected');
    assert.ok(lines.some((l) => /relay: skopeo is accepted/.test(String(l.msg))), 'one info line about the relay');

    const pluginFile = await config('dregsy-spaceone-plugin.yaml');
    hub.reset();
    const plugin = await ferry(['-config', pluginFile, '--once'], { LOG_FORMAT: 'json' });
    assert.equal(plugin.code, 0, plugin.stdout.slice(-3000) + plugin.stderr);
    first.plugin = { ms: plugin.ms, gets: manifestGets() };

    await check(all);
    for (const out of [core.stdout + core.stderr, plugin.stdout + plugin.stderr]) {
      assert.ok(!out.includes(src.password!) && !out.includes(dst.password!), 'no secret in the logs');
    }
    // nothing beyond the mapped repositories landed on the target
    const repos = await catalogOf(dst);
    assert.ok(repos.every((r) => r.startsWith('ferry/spaceone/')), repos.join(','));
    assert.equal(repos.length, all.length);
  });

  test('second runs of both configs copy nothing and make 0 manifest GETs, on the source or the target', async () => {
    assert.ok(first.core && first.plugin, 'the first runs completed');
    const [getsBefore, headsBefore] = [await targetManifests('GET'), await targetManifests('HEAD')];
    const ms: number[] = [];
    for (const [name, selected] of [['dregsy-spaceone-core.yaml', all.filter(isCore)], ['dregsy-spaceone-plugin.yaml', all.filter((f) => !isCore(f))]] as const) {
      hub.reset();
      const second = await ferry(['sync', '--config', join(dir, name), '--once'], { LOG_FORMAT: 'json', LOG_LEVEL: process.env.SEED_LOG_LEVEL ?? 'info' });
      if (process.env.SEED_DUMP) await writeFile(`${process.env.SEED_DUMP}.${name}`, second.stdout);
      assert.equal(second.code, 0, second.stdout.slice(-3000));
      assert.equal(manifestGets(), 0, `${name}: no source manifest GET on the second run`);
      const lines = jsonLines(second.stdout);
      assert.equal(lines.filter((l) => String(l.msg).startsWith('copied')).length, 0, name);
      assert.equal(lines.filter((l) => l.msg === 'already up to date').length, selected.reduce((n, f) => n + f.expected.length, 0), name);
      ms.push(second.ms);
    }
    assert.equal((await targetManifests('GET')) - getsBefore, 0, 'no target manifest GET on the second runs');
    assert.ok((await targetManifests('HEAD')) - headsBefore >= all.reduce((n, f) => n + f.expected.length, 0), 'the target was asked, with HEADs');
    console.log(
      `seed configs into TLS ${dst.host} as ${ROBOT}: first runs ${first.core!.ms} + ${first.plugin!.ms} ms (${first.core!.gets} + ${first.plugin!.gets} source manifest GETs), ` +
        `second runs ${ms[0]} + ${ms[1]} ms (0 manifest GETs)`,
    );
  });
});
