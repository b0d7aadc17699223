/**
 * `npm run demo`: ferry's main job end to end on an embedded default.
 * Starts two local registries (CNCF distribution, Debian's docker-registry), loads sample images shaped like
 * the Cloudforet ones into the "Docker Hub" side, writes a dregsy config (the seed's shape, with Docker Hub
 * pointed at the local registry through ferry's `registries:` endpoint setting), runs `ferry sync --once`
 * twice, and prints what happened: what was copied, then that the second run only checked (0 pulls).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeImage, makeIndex, pushImage } from '../test/harness/images.js';
import { startProxy } from '../test/harness/proxy.js';
import { startRegistry } from '../test/harness/registry.js';
import type { RunReport } from '../src/report/run-report.js';

const BIN = join(import.meta.dirname, '../bin/ferry.js');

function ferry(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, LOG_FORMAT: 'text' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function section(title: string): void {
  process.stdout.write(`\n=== ${title} ===\n`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-demo-'));
  section('starting two local registries (docker-registry 2.8)');
  const hub = await startRegistry({ auth: 'none' });
  const harbor = await startRegistry({ auth: 'htpasswd', users: { 'robot$demo+sync': 'demo-secret' } });
  const counter = await startProxy({ upstream: { url: hub.url } });
  console.log(`"Docker Hub" stand-in: ${hub.url} (seen through a request counter at ${counter.url})`);
  console.log(`"Harbor" stand-in:     ${harbor.url} (htpasswd, robot account robot$demo+sync)`);
  try {
    section('loading sample images');
    const multi = (seed: string) =>
      makeIndex({
        kind: 'oci-index',
        withAttestation: true,
        children: [
          makeImage({ kind: 'oci', layers: [200_000, 30_000], seed: 'base-os' }),
          makeImage({ kind: 'oci', layers: [150_000, 20_000 + seed.length], seed: `${seed}-arm64`, platform: { os: 'linux', architecture: 'arm64' } }),
        ],
      });
    const samples: Array<[string, string[]]> = [
      ['spaceone/console', ['1.10.9', '1.11.0', '1.11.3', '1.11.12-rc1', '1.12.0']],
      ['spaceone/inventory', ['1.11.1', '1.11.2', '2.0.0']],
      ['library/redis', ['latest', '7.2']],
      ['spaceone/plugin-aws-ec2-inven-collector', ['0.9.0', '1.0.0', '1.2.0', '1.3.0', '1.3.1-rc1', '2.0.0']],
    ];
    for (const [repo, tags] of samples) {
      for (const tag of tags) await pushImage(hub, repo, tag, multi(`${repo}:${tag}`));
      console.log(`${repo}: ${tags.join(', ')}`);
    }

    const auth = Buffer.from(JSON.stringify({ username: 'robot$demo+sync', password: 'demo-secret' })).toString('base64');
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      `# The seed config's shape: Docker Hub → a private registry, tag filters as dregsy writes them.
relay: skopeo
registries:
  registry.hub.docker.com:
    endpoint: ${counter.url}     # ferry addition: reach "Docker Hub" at a local endpoint
tasks:
  - name: sync_spaceone_core
    interval: 21600
    source:
      registry: registry.hub.docker.com
    target:
      registry: ${harbor.host}
      auth: ${auth}
    mappings:
      - from: spaceone/console
        to: demo/spaceone/console
        tags: ['regex: 1\\.11\\.(?:[0-9]?[0-9]).*']
      - from: spaceone/inventory
        to: demo/spaceone/inventory
        tags: ['regex: 1\\.11\\.(?:[0-9]?[0-9]).*']
      - from: redis
        to: demo/spaceone/redis
        tags: ['latest']
  - name: sync_spaceone_plugin
    interval: 21600
    source:
      registry: registry.hub.docker.com
    target:
      registry: ${harbor.host}
      auth: ${auth}
    mappings:
      - from: spaceone/plugin-aws-ec2-inven-collector
        to: demo/spaceone/plugin-aws-ec2-inven-collector
        tags: ['semver: >=1.0.0 <1.99.0', 'keep: latest 2']
`,
    );
    console.log(`config written to ${config}`);

    section('ferry sync --once (first run: copies what the target lacks)');
    const report = join(dir, 'report.json');
    const first = await ferry(['sync', '--config', config, '--once', '--report', report]);
    process.stdout.write(first.stderr + first.stdout);
    if (first.code !== 0) throw new Error(`ferry sync exited ${first.code}`);
    const gets1 = counter.count({ method: 'GET', pathRegex: /\/manifests\// });

    section('report');
    const doc = JSON.parse(await readFile(report, 'utf8')) as RunReport;
    const images = doc.tasks.flatMap((t) => t.images);
    for (const t of doc.tasks) {
      console.log(`task ${t.task}: ${t.copied} copied, ${t.upToDate} up to date, ${t.failed} failed, ${t.bytes} bytes, ${t.pulls} pulls (planned: ${t.pullsPlannedAtLeast ? 'at least ' : ''}${t.pullsPlanned ?? '?'}), ${t.durationMs} ms`);
      for (const r of t.images) console.log(`  ${r.action.padEnd(11)} ${r.source} → ${r.target} (${r.bytes} bytes, ${r.digest?.slice(0, 19)}…)`);
    }
    console.log(`(set FERRY_DEMO_KEEP=1 to keep the config and the JSON report: ${report})`);

    section('ferry sync --once (second run: nothing changed, HEAD requests only)');
    counter.reset();
    const second = await ferry(['sync', '--config', config, '--once']);
    process.stdout.write(second.stderr + second.stdout);
    if (second.code !== 0) throw new Error(`ferry sync exited ${second.code}`);
    const gets2 = counter.count({ method: 'GET', pathRegex: /\/manifests\// });
    const heads2 = counter.count({ method: 'HEAD', pathRegex: /\/manifests\// });

    section('summary');
    console.log(`first run:  ${images.filter((r) => r.action === 'copied').length} images copied, ${gets1} source manifest GETs (what Docker Hub counts as pulls)`);
    console.log(`second run: ${gets2} source manifest GETs, ${heads2} HEADs (free on Docker Hub)`);
    console.log('dregsy would have spent one pull per tag on every run.');
  } finally {
    await counter.stop();
    await Promise.all([hub.stop(), harbor.stop()]);
    if (process.env.FERRY_DEMO_KEEP) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
