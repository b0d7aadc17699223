/**
 * The low-speed limit as users meet it, in the built CLI: `ferry copy --low-speed-limit/--low-speed-time`, and
 * `low-speed-limit`/`low-speed-time` in a `registries:` entry of a sync config. A proxy drips one layer at
 * 300 B/s; with 1000 B/s over 1s the image fails after two attempts on that blob, says why, and is not tagged.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dripBody } from '../harness/faults.js';
import { makeImage, pushImage } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { proxy, registry } from '../engine/helpers.js';
import { ferry, tagsOf } from './helpers.js';

async function drippingSource(seed: string): Promise<{ src: RegistryHandle; dst: RegistryHandle; layer: string; url: string; gets: () => number }> {
  const [src, dst] = await Promise.all([registry(), registry()]);
  const img = makeImage({ kind: 'oci', layers: [40_000], seed });
  await pushImage(src, 'team/app', 'v1', img);
  const layer = img.blobs[1]!.digest;
  const p = await proxy({
    upstream: { url: src.url },
    transformResponse: (req, up) => (req.method === 'GET' && req.url?.includes(`/blobs/${layer}`) ? { ...up, body: dripBody(up.body, 30, 100, req.socket) } : undefined),
  });
  return { src, dst, layer, url: p.url, gets: () => p.count({ method: 'GET', pathRegex: new RegExp(`/blobs/${layer}`) }) };
}

describe('low-speed limit in the CLI', () => {
  test('ferry copy --low-speed-limit 1000 --low-speed-time 1s: a dripping source fails the copy, exit 1', async () => {
    const s = await drippingSource('cli-slow-copy');
    const r = await ferry(
      ['copy', '--low-speed-limit', '1000', '--low-speed-time', '1s', '--src-endpoint', s.url, `docker://${s.src.host}/team/app:v1`, `docker://${s.dst.host}/mirror/app:v1`],
      { LOG_LEVEL: 'warn' },
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`blob ${s.layer} from registry ${s.src.host}, repository team/app arrived at`), r.stderr);
    assert.match(r.stderr, /\d+ B\/s over 1s, below the low-speed limit of 1000 B\/s/);
    assert.match(r.stderr, /again on its retry/);
    assert.equal(s.gets(), 2);
    assert.deepEqual(await tagsOf(s.dst, 'mirror/app'), []);
  });

  test('flag values are checked: exit 2 with what to write', async () => {
    const bad = async (args: string[]): Promise<string> => {
      const r = await ferry(['copy', ...args, 'docker://127.0.0.1:9/a:v1', 'docker://127.0.0.1:9/b:v1']);
      assert.equal(r.code, 2, r.stderr);
      return r.stderr;
    };
    assert.match(await bad(['--low-speed-limit', '1KiB']), /--low-speed-limit takes whole bytes per second, e\.g\. 1024/);
    assert.match(await bad(['--low-speed-limit=-5']), /--low-speed-limit takes whole bytes per second/);
    assert.match(await bad(['--low-speed-time', '60']), /--low-speed-time takes a duration of at least 1s.*got "60"; write 60s for seconds/);
    assert.match(await bad(['--low-speed-time', '200ms']), /--low-speed-time takes a duration of at least 1s/);
  });

  test('a sync with low-speed-limit/low-speed-time in registries: fails the image and tags nothing', async () => {
    const s = await drippingSource('cli-slow-sync');
    const dir = await mkdtemp(join(tmpdir(), 'ferry-slow-'));
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      `registries:
  source.example.com:
    endpoint: ${s.url}
    low-speed-limit: 1000
    low-speed-time: 1s
tasks:
  - name: slow
    source:
      registry: source.example.com
      auth: none
    target:
      registry: ${s.dst.host}
      auth: none
    mappings:
      - from: team/app
        to: mirror/app
        tags: [v1]
`,
    );
    const r = await ferry([`-config=${config}`, '-once'], { LOG_LEVEL: 'info' });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(out.includes(`blob ${s.layer} from registry source.example.com, repository team/app arrived at`), out);
    assert.match(out, /\d+ B\/s over 1s, below the low-speed limit of 1000 B\/s/);
    assert.equal(s.gets(), 2);
    assert.deepEqual(await tagsOf(s.dst, 'mirror/app'), []);
  });
});
