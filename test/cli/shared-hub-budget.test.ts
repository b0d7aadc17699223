/**
 * Two configs sharing one Docker Hub account (limit 200) need 198 pulls between them, run back to back with
 * `-once`, as two cron jobs or two containers would. A Hub look-alike in front of the source counts pulls per
 * account across both processes and reports `ratelimit-*` accordingly. With no reserve by default, both runs
 * complete without a pause: the second one ends with 2 pulls left. (The old default of 10 held the last 8 back
 * for a whole window.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { hubLimitHooks, type HubLimitHooks } from '../harness/faults.js';
import { makeImage, pushImage, pushManifest } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { proxy, registry } from '../engine/helpers.js';
import { ferry, jsonLines, tagsOf } from './helpers.js';

const CORE = { repo: 'spaceone/core', tags: 120 };
const PLUGIN = { repo: 'spaceone/plugin', tags: 78 };
const USER = 'spaceone-bot';
const tagNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `1.11.${i}`);

/** The account a request is charged to: its Basic user. */
function basicUser(req: IncomingMessage): string | undefined {
  const m = /^Basic\s+(\S+)/i.exec(String(req.headers.authorization ?? ''));
  return m ? Buffer.from(m[1] as string, 'base64').toString('utf8').split(':')[0] : undefined;
}

describe('two configs sharing one Docker Hub account', () => {
  let src: RegistryHandle;
  let dst: RegistryHandle;
  let hub: HubLimitHooks;
  let hubUrl: string;
  let dir: string;

  before(async () => {
    src = await registry();
    dst = await registry();
    // one image per repository under every tag (a manifest PUT per tag): each tag the target lacks costs a pull
    for (const r of [CORE, PLUGIN]) {
      const m = makeImage({ kind: 'docker', layers: [16], seed: r.repo });
      const [first, ...rest] = tagNames(r.tags);
      await pushImage(src, r.repo, first!, m);
      await Promise.all(rest.map((tag) => pushManifest(src, r.repo, tag, m.mediaType, m.manifestBytes)));
    }
    hub = hubLimitHooks({ limit: 200, windowSeconds: 21_600, rolling: true, now: () => Date.now(), accountOf: (req) => basicUser(req) ?? 'anonymous' });
    // the look-alike asks for the account itself (Basic, as a bcrypt htpasswd registry would, without its cost)
    const p = await proxy({
      upstream: { url: src.url },
      onRequest: (req, rec) =>
        basicUser(req) === undefined
          ? { respond: (res) => void res.writeHead(401, { 'www-authenticate': 'Basic realm="hub"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}') }
          : hub.onRequest(req, rec),
      transformResponse: hub.transformResponse,
    });
    hubUrl = p.url;
    dir = await mkdtemp(join(tmpdir(), 'ferry-shared-budget-'));
  });

  async function config(name: string, r: { repo: string }): Promise<string> {
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      `registries:
  registry.hub.docker.com:
    endpoint: ${hubUrl}
tasks:
  - name: ${name}
    interval: 21600
    source:
      registry: registry.hub.docker.com
      auth: ${Buffer.from(JSON.stringify({ username: USER, password: 'hub-token' })).toString('base64')}
    target:
      registry: ${dst.host}
    mappings:
      - from: ${r.repo}
        to: mirror/${r.repo}
        tags: ['regex: 1\\.11\\..*']
`,
    );
    return file;
  }

  test('198 of 200 pulls, run back to back with -once: both complete, neither waits', async () => {
    const paused = (out: string): unknown[] => jsonLines(out).filter((l) => /paused|re-checked|budget exhausted/.test(String(l.msg)));
    const core = await ferry([`-config=${await config('core', CORE)}`, '-once'], { LOG_FORMAT: 'json' });
    assert.equal(core.code, 0, core.stdout.slice(-3000) + core.stderr);
    assert.deepEqual(paused(core.stdout), [], 'the core run never paused');
    assert.equal(hub.pullsBy.get(USER), 120);

    const plugin = await ferry([`-config=${await config('plugin', PLUGIN)}`, '-once'], { LOG_FORMAT: 'json' });
    assert.equal(plugin.code, 0, plugin.stdout.slice(-3000) + plugin.stderr);
    assert.deepEqual(paused(plugin.stdout), [], 'the plugin run never paused');
    assert.equal(hub.pullsBy.get(USER), 198, 'one account charged for both runs');
    assert.equal(hub.remaining(USER), 2);
    assert.equal(hub.refused, 0, 'no 429');
    assert.equal((await tagsOf(dst, `mirror/${CORE.repo}`)).length, CORE.tags);
    assert.equal((await tagsOf(dst, `mirror/${PLUGIN.repo}`)).length, PLUGIN.tags);
  });
});
