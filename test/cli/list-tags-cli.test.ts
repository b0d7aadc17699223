/**
 * `ferry list-tags` as a user runs it (the built CLI in a child process) against real registries: skopeo's output
 * on the same registry is the reference for the JSON shape and the digests, `ferry plan` for what a tags: filter
 * selects and why; a fault proxy plays the hostile registry whose pagination never ends.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { makeImage, makeIndex, pushImage, sha256 } from '../harness/images.js';
import type { RequestDecision } from '../harness/proxy.js';
import type { RegistryHandle } from '../harness/registry.js';
import { runSkopeo, skopeoEndpointFor, skopeoInspectRaw } from '../harness/skopeo.js';
import { proxy, registry } from '../engine/helpers.js';
import { ferry as run } from './helpers.js';

const ferry = (args: string[]) => run(['list-tags', ...args], { LOG_LEVEL: 'warn' });
const creds = (reg: RegistryHandle): string[] => ['--creds', `${reg.username}:${reg.password}`];
const isTagList = (req: IncomingMessage): boolean => /\/tags\/list/.test(req.url ?? '');
const isManifestHead = (req: IncomingMessage): boolean => req.method === 'HEAD' && /\/manifests\//.test(req.url ?? '');

interface ListTagsJson {
  Repository: string;
  Tags: string[];
  Selected?: string[];
  Filtered?: Array<{ Tag: string; Reason: string }>;
  Missing?: string[];
  Digests?: Record<string, string | null>;
}

describe('ferry list-tags: TLS and auth variants, against skopeo', () => {
  let reg: RegistryHandle;
  let certDir: string;
  const TAGS = ['latest', '1.0.0', 'v2', 'multi'];

  before(async () => {
    reg = await registry({ tls: true, auth: 'token' });
    for (const t of TAGS.slice(0, 3)) await pushImage(reg, 'team/app', t, makeImage({ kind: 'oci', layers: [64], seed: `tls-${t}` }));
    const children = [makeImage({ kind: 'oci', layers: [32], seed: 'tls-m1' }), makeImage({ kind: 'oci', layers: [32], seed: 'tls-m2', platform: { os: 'linux', architecture: 'arm64' } })];
    await pushImage(reg, 'team/app', 'multi', makeIndex({ kind: 'oci-index', children }));
    certDir = await reg.certsDir(await mkdtemp(join(tmpdir(), 'ferry-lt-certs-')), { client: false });
  });

  test('--json is byte for byte what skopeo list-tags prints; text is one tag per line in the same order', async () => {
    const url = `docker://${reg.host}/team/app`;
    const skopeo = (await runSkopeo(['list-tags', '--cert-dir', certDir, ...creds(reg), url])).stdout.toString('utf8');
    const json = await ferry(['--cert-dir', certDir, ...creds(reg), '--json', url]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, skopeo);
    const skopeoTags = (JSON.parse(skopeo) as ListTagsJson).Tags;
    assert.deepEqual([...skopeoTags].sort(), [...TAGS].sort());
    const text = await ferry(['--tls-verify=false', ...creds(reg), url]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, skopeoTags.map((t) => `${t}\n`).join(''));
    assert.doesNotMatch(json.stderr + text.stderr, new RegExp(reg.password!));
  });

  test('TLS without the CA, no credentials, wrong credentials: exit 1 with what to do, nothing on stdout', async () => {
    const url = `docker://${reg.host}/team/app`;
    const tls = await ferry([...creds(reg), url]);
    assert.equal(tls.code, 1);
    assert.equal(tls.stdout, '');
    assert.match(tls.stderr, /cannot be verified.*--tls-verify=false.*--cert-dir DIR/);
    const anonymous = await ferry(['--cert-dir', certDir, url]);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /HTTP 401.*no credentials are configured.*--creds/);
    const wrong = await ferry(['--cert-dir', certDir, '--creds', `${reg.username}:not-the-password`, url]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /refused the configured credentials.*check the username and password/);
    assert.doesNotMatch(wrong.stderr, /not-the-password/);
    for (const r of [tls, anonymous, wrong]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('ferry list-tags: digests, filters, names and errors', () => {
  let reg: RegistryHandle;
  const digests: Record<string, string> = {};
  const TAGS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0-rc1', 'build-7', 'latest', 'v0.9', 'nightly'];

  before(async () => {
    reg = await registry({ auth: 'htpasswd' });
    for (const t of TAGS) digests[t] = (await pushImage(reg, 'team/app', t, makeImage({ kind: 'docker', layers: [16], seed: `f-${t}` }))).digest;
    const children = [makeImage({ kind: 'docker', layers: [16], seed: 'f-m1' }), makeImage({ kind: 'docker', layers: [16], seed: 'f-m2', platform: { os: 'linux', architecture: 'arm64' } })];
    digests.multi = (await pushImage(reg, 'team/app', 'multi', makeIndex({ kind: 'docker-list', children }))).digest;
    await pushImage(reg, 'library/redis', '7.2', makeImage({ kind: 'oci', layers: [16], seed: 'redis' }));
  });

  test('--digests: HEADs only, with the manifest Accept types, at most 8 at once; digests equal skopeo inspect', async () => {
    // Hold each HEAD's answer until 8 are waiting (or all that remain): an unbounded client would have more in flight.
    const total = TAGS.length + 1;
    let inFlight = 0;
    let peak = 0;
    let answered = 0;
    let waiters: Array<() => void> = [];
    const via = await proxy({
      upstream: reg,
      transformResponse: async (req) => {
        if (!isManifestHead(req)) return undefined;
        peak = Math.max(peak, ++inFlight);
        const done = new Promise<void>((resolve) => waiters.push(resolve));
        if (inFlight >= Math.min(8, total - answered)) for (const w of waiters.splice(0)) w();
        else setTimeout(() => waiters.splice(0).forEach((w) => w()), 5_000).unref(); // a safety net only: peak tells
        await done;
        inFlight--;
        answered++;
        return undefined;
      },
    });
    const r = await ferry(['--endpoint', via.url, ...creds(reg), '--digests', '--json', `${reg.host}/team/app`]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as ListTagsJson;
    assert.deepEqual(Object.keys(out.Digests ?? {}), out.Tags, 'a digest for every tag, in listing order');
    const skopeo = await skopeoEndpointFor(reg);
    for (const t of out.Tags) {
      assert.equal(out.Digests?.[t], digests[t], t);
      assert.equal(out.Digests?.[t], sha256(await skopeoInspectRaw(`${reg.host}/team/app:${t}`, skopeo)), `${t}: skopeo inspect agrees`);
    }
    assert.equal(via.count({ method: 'GET', pathRegex: /\/manifests\// }), 0, 'no manifest GET (no Docker Hub pull)');
    const heads = via.filter({ method: 'HEAD', pathRegex: /\/manifests\// });
    assert.equal(heads.length, total);
    for (const h of heads) {
      for (const type of ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json']) {
        assert.ok(String(h.headers.accept).includes(type), `HEAD ${h.path} accepts ${type}`);
      }
    }
    assert.equal(peak, 8, 'HEADs run 8 at a time');
    const text = await ferry(['--endpoint', reg.url, ...creds(reg), '--digests', `${reg.host}/team/app`]);
    assert.match(text.stdout, new RegExp(`^multi\\s+${digests.multi}$`, 'm'));
  });

  test('--digests: a refused HEAD fails the command (exit 1, naming the tag), with no partial listing', async () => {
    const via = await proxy({
      upstream: reg,
      onRequest: (req) =>
        isManifestHead(req)
          ? { respond: (res: ServerResponse) => void res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}') }
          : 'pass',
    });
    const r = await ferry(['--endpoint', via.url, ...creds(reg), '--digests', `${reg.host}/team/app`]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /HEAD failed for registry .*, repository team\/app, reference [^,]+: HTTP 403.*lack permission/);
  });

  test('--tags selects what ferry plan selects for the same tags: list, with the same reasons', async () => {
    const entries = ['semver: >=1.0.0 <3.0.0', 'regex: ^build-[0-9]+$', 'keep: ^[0-9.]+$|^build-.*', 'keep: latest 3', `1.0.0@${digests['2.0.0']}`, '9.9'];
    const tagArgs = entries.flatMap((e) => ['--tags', e]);
    const r = await ferry([...creds(reg), ...tagArgs, '--json', `${reg.host}/team/app`]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as ListTagsJson;
    // the plan of a sync with the same list is the reference
    const dst = await registry();
    const dir = await mkdtemp(join(tmpdir(), 'ferry-lt-plan-'));
    const config = join(dir, 'plan.yaml');
    const auth = Buffer.from(JSON.stringify({ username: reg.username, password: reg.password })).toString('base64');
    await writeFile(
      config,
      `registries:\n  src.example.com:\n    endpoint: ${reg.url}\ntasks:\n  - name: lt\n    interval: 0\n    source:\n      registry: src.example.com\n      auth: ${auth}\n` +
        `    target:\n      registry: ${dst.host}\n      auth: none\n    mappings:\n      - from: team/app\n        to: lt/app\n        tags: ${JSON.stringify(entries)}\n`,
    );
    const plan = await run(['plan', '--config', config, '--output', 'json']);
    assert.equal(plan.code, 1, `9.9 is missing on the source, which plan counts as failed: ${plan.stderr}`);
    type Action = { tag: string; action: string; reason: string };
    const actions = (JSON.parse(plan.stdout) as { tasks: Array<{ mappings: Array<{ repositories: Array<{ actions: Action[] }> }> }> }).tasks[0]!.mappings[0]!.repositories[0]!.actions;
    assert.deepEqual(out.Selected, actions.filter((a) => a.action !== 'filtered-out').map((a) => a.tag));
    assert.deepEqual(out.Filtered, actions.filter((a) => a.action === 'filtered-out').map((a) => ({ Tag: a.tag, Reason: a.reason })));
    assert.deepEqual(out.Missing, actions.filter((a) => a.action === 'missing').map((a) => a.tag));
    // and what that is, spelled out: each rule leaves out what it should, with its own reason
    assert.deepEqual(out.Selected, [`1.0.0@${digests['2.0.0']}`, '1.2.0', '2.0.0', '9.9', 'build-7']);
    assert.deepEqual(out.Missing, ['9.9']);
    const reasons = Object.fromEntries((out.Filtered ?? []).map((f) => [f.Tag, f.Reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['1.0.0', '1.1.0', '2.1.0-rc1', 'latest', 'multi', 'nightly', 'v0.9']);
    assert.equal(reasons['1.0.0'], 'pinned by digest: copied as the pin');
    assert.match(reasons['1.1.0']!, /^beyond keep: latest 3/);
    assert.match(reasons['2.1.0-rc1']!, /^pruned by 'keep: \^\[0-9\.\]\+\$\|\^build-\.\*'$/);
    assert.match(reasons.latest!, /^matches none of 'semver: >=1\.0\.0 <3\.0\.0', 'regex: \^build-\[0-9\]\+\$'$/);
    assert.match(reasons['v0.9']!, /^matches none of/);
    // text: the selected first, then the filtered ones with their reasons
    const text = await ferry([...creds(reg), ...tagArgs, `${reg.host}/team/app`]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'selected (5):');
    assert.deepEqual(lines.slice(1, 6).map((l) => l.trim().split(/\s+/)[0]), out.Selected);
    assert.match(lines[4]!, /^ {2}9\.9\s+not found in the repository: a sync reports it missing$/);
    assert.equal(lines[6], 'filtered out (7):');
    assert.match(text.stdout, /^ {2}latest\s+matches none of 'semver: >=1\.0\.0 <3\.0\.0'/m);
    assert.equal(lines.length, 14);
  });

  test('--tags with plain tags only: everything else is filtered as not named; a bad entry is a usage error', async () => {
    const r = await ferry([...creds(reg), '--tags', 'latest', '--tags', ':2.0.0', '--json', `${reg.host}/team/app`]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as ListTagsJson;
    assert.deepEqual(out.Selected, ['2.0.0', 'latest']);
    assert.equal(out.Filtered?.length, TAGS.length + 1 - 2);
    for (const f of out.Filtered ?? []) assert.match(f.Reason, /^not named in the tags list/);
    const bad = await ferry([...creds(reg), '--tags', 'Semver: >=1.0.0', `${reg.host}/team/app`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tags 'Semver: >=1\.0\.0' uses invalid format: .*did you mean "semver: >=1\.0\.0"/);
    const warned = await ferry([...creds(reg), '--tags', 'keep:latest 5', `${reg.host}/team/app`]);
    assert.equal(warned.code, 0);
    assert.match(warned.stderr, /warning: --tags 'keep:latest 5': .*prune regex/);
  });

  test("Docker Hub names: redis is docker.io/library/redis, as in skopeo's output", async () => {
    const via = await proxy({ upstream: reg });
    for (const name of ['docker://redis', 'redis', 'docker.io/library/redis', 'index.docker.io/redis']) {
      const r = await ferry(['--endpoint', via.url, ...creds(reg), '--json', name]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), { Repository: 'docker.io/library/redis', Tags: ['7.2'] });
    }
    assert.equal(via.count({ pathRegex: /^\/v2\/library\/redis\/tags\/list$/ }), 4);
  });

  test('errors: repository not found and bad references exit 1, usage exits 2, --help exits 0', async () => {
    const missing = await ferry([...creds(reg), `docker://${reg.host}/team/none`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`repository team/none not found on registry ${reg.host}: check its name .*NAME_UNKNOWN`));
    const cases: Array<[string[], number, RegExp]> = [
      [[`${reg.host}/team/app:1.0.0`], 1, /names an image, not a repository: .*without ":1\.0\.0" \(to select tags, use --tags\)/],
      [[`${reg.host}/team/app@${digests['1.0.0']}`], 1, /names an image, not a repository/],
      [[`${reg.host}/Team/App`], 1, /invalid repository name "Team\/App".*lower case/],
      [[], 2, /needs exactly one repository, got 0/],
      [[`${reg.host}/a`, `${reg.host}/b`], 2, /needs exactly one repository, got 2/],
      [['--tls-verify=maybe', `${reg.host}/a`], 2, /--tls-verify takes true or false, got "maybe"/],
      [['--nope', `${reg.host}/a`], 2, /Unknown option '--nope'/],
      [['oci:/tmp/layout'], 2, /ferry reaches registries only \(docker:\/\/\); the oci: transport is not supported/],
    ];
    for (const [args, code, message] of cases) {
      const r = await ferry(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const help = await ferry(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: ferry list-tags .*\n[\s\S]*--tags ENTRY[\s\S]*--digests/);
    const usage = await run(['--help']);
    assert.match(usage.stdout, /ferry list-tags REPOSITORY/);
  });
});

describe('ferry list-tags: a hostile registry', () => {
  const page = (headers: Record<string, string>, tags: string[]): RequestDecision => ({
    respond: (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ name: 'evil/app', tags }));
    },
  });

  test('pagination that loops (the same next link, or new links with the same tags) stops after 2 pages', async () => {
    const reg = await registry();
    let n = 0;
    const hostile = [
      () => page({ link: '</v2/evil/app/tags/list?n=1&last=a>; rel="next"' }, ['a']),
      () => page({ link: `</v2/evil/app/tags/list?n=1&last=x${n++}>; rel="next"` }, ['a']),
    ];
    for (const answer of hostile) {
      const via = await proxy({ upstream: reg, onRequest: (req) => (isTagList(req) ? answer() : 'pass') });
      const r = await ferry(['--endpoint', via.url, `${reg.host}/evil/app`]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`registry ${reg.host} (keeps paginating tags|returned the same tags again on page 2)`));
      assert.ok(via.count({ pathRegex: /\/tags\/list/ }) <= 2, `bounded: ${via.count({ pathRegex: /\/tags\/list/ })} pages asked`);
    }
  });

  test('a tags page that never ends is refused at 16 MiB', async () => {
    const reg = await registry();
    let sent = 0;
    const via = await proxy({
      upstream: reg,
      onRequest: (req) =>
        isTagList(req)
          ? {
              respond: (res: ServerResponse) => {
                res.writeHead(200, { 'content-type': 'application/json' });
                const chunk = Buffer.alloc(1 << 20, 0x20);
                const endless = new Readable({
                  read() {
                    sent += chunk.length;
                    this.push(sent === chunk.length ? Buffer.concat([Buffer.from('{"tags":['), chunk]) : chunk);
                  },
                });
                res.on('close', () => endless.destroy());
                endless.pipe(res);
              },
            }
          : 'pass',
    });
    const r = await ferry(['--endpoint', via.url, `${reg.host}/evil/app`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`a tags page from registry ${reg.host} for repository evil/app is larger than 16777216 bytes`));
    assert.ok(sent < 48 * (1 << 20), `the client stopped reading (${sent >> 20} MiB sent)`);
  });
});
