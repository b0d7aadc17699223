/** `ferry -config=…` / `ferry sync|validate|plan` as users run them: the built CLI in a child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parseGoFlags } from '../../src/cli/go-flags.js';
import { makeImage, makeIndex, pushImage } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import type { ProxyHandle } from '../harness/proxy.js';
import { proxy, registry } from '../engine/helpers.js';
import { BIN, digestOf, ferry, jsonLines, tagsOf } from './helpers.js';

describe('Go flag syntax (dregsy CLI)', () => {
  const spec = { config: 'string', run: 'string', once: 'bool' } as const;
  const cases: Array<[string[], Record<string, string | boolean>]> = [
    [['-config=x.yaml'], { config: 'x.yaml' }],
    [['-config', 'x.yaml', '-run=a.*'], { config: 'x.yaml', run: 'a.*' }],
    [['--config=x.yaml', '--once'], { config: 'x.yaml', once: true }],
    [['--config', 'x.yaml', '-once=false'], { config: 'x.yaml', once: false }],
    [['-run=!test-.*', '-config=c'], { run: '!test-.*', config: 'c' }],
  ];
  for (const [argv, want] of cases) test(argv.join(' '), () => assert.deepEqual(parseGoFlags(argv, spec).values, want));
  test('unknown flag and missing value are usage errors', () => {
    assert.throws(() => parseGoFlags(['-nope'], spec), /flag provided but not defined: -nope/);
    assert.throws(() => parseGoFlags(['-config'], spec), /flag needs an argument: -config/);
  });
});

describe('ferry CLI against real registries', () => {
  let src: RegistryHandle;
  let dst: RegistryHandle;
  let via: ProxyHandle;
  let dir: string;
  const digests: Record<string, string> = {};

  before(async () => {
    [src, dst] = await Promise.all([registry(), registry()]);
    via = await proxy({ upstream: src });
    dir = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
    for (const tag of ['1.0.0', '1.1.0', '2.0.0']) digests[tag] = (await pushImage(src, 'team/app', tag, makeImage({ kind: 'docker', layers: [64], seed: `app-${tag}` }))).digest;
    digests.multi = (await pushImage(src, 'team/multi', 'v1', makeIndex({ kind: 'oci-index', children: [makeImage({ kind: 'oci', layers: [32], seed: 'm1' }), makeImage({ kind: 'oci', layers: [32], seed: 'm2', platform: { os: 'linux', architecture: 'arm64' } })] }))).digest;
  });

  async function write(name: string, text: string): Promise<string> {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  }

  const task = (name: string, mappings: string, interval = 0, sourceRegistry = 'source.example.com') => `
  - name: ${name}
    interval: ${interval}
    source:
      registry: ${sourceRegistry}
      auth: none
    target:
      registry: ${dst.host}
      auth: none
    mappings:
${mappings}`;

  const header = () => `registries:\n  source.example.com:\n    endpoint: ${via.url}\ntasks:`;

  test('container shape: `node bin/ferry.js -config=/path/config.yaml` with a one-off task exits 0', async () => {
    const f = await write('container.yaml', `relay: skopeo\n${header()}${task('one', `      - from: team/multi\n        to: mirror/multi\n        tags: [v1]\n`)}`);
    const r = await ferry([`-config=${f}`], {}, '/');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await digestOf(dst, 'mirror/multi', 'v1'), digests.multi, 'the index copied byte for byte');
    assert.match(r.stdout, /copied: missing on the target/);
    assert.match(r.stdout, /all done/);
  });

  test('bad config: exit 1 before any network traffic, message with file and line', async () => {
    via.reset();
    const f = await write('bad.yaml', `${header()}${task('bad', `      - from: team/app\n        tags: ['semver: ^1.0']\n`, 10)}`);
    const r = await ferry([`-config=${f}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /bad\.yaml:\d+: .*interval.*minimum task interval is 30 seconds/);
    assert.equal(via.records.length, 0, 'no request reached the source');
    const seed = await ferry(['-config=' + join(import.meta.dirname, '../../examples/dregsy-spaceone-core.yaml'), '-once']);
    assert.equal(seed.code, 1);
    assert.match(seed.stdout, /placeholder "\{Token\}" was not replaced/);
  });

  test('no -config: version and synopsis, exit 1; invalid -run: exit 1', async () => {
    const r = await ferry(['-run=x']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /synopsis: ferry -config=/);
    const f = await write('ok.yaml', `${header()}${task('t', `      - from: team/app\n        tags: ['1.0.0']\n`)}`);
    const badRun = ['-config=' + f, '-run=('];
    const bad = await ferry(badRun);
    assert.equal(bad.code, 1);
  });

  test('-run is anchored and ! inverts; one line per tag with the decision; a failing image fails the run, not the others', async () => {
    const body = `${header()}${task('task-a', `      - from: team/app\n        to: run/a\n        tags: ['semver: >=1.0.0 <2.0.0', 'missing-tag']\n`)}${task('task-abc', `      - from: team/app\n        to: run/abc\n        tags: ['2.0.0']\n`)}`;
    const f = await write('run.yaml', body);
    const a = await ferry([`-config=${f}`, '-run=task-a'], { LOG_FORMAT: 'json' });
    assert.equal(a.code, 1, 'missing-tag fails the task');
    assert.deepEqual(await tagsOf(dst, 'run/a'), ['1.0.0', '1.1.0']);
    assert.deepEqual(await tagsOf(dst, 'run/abc'), [], '-run=task-a does not match task-abc');
    const lines = jsonLines(a.stdout);
    const perTag = lines.filter((l) => typeof l.source === 'string' && /run\/a|team\/app/.test(String(l.source)) && /^(copied|already|filtered|failed)/.test(String(l.msg)));
    assert.deepEqual(perTag.map((l) => `${String(l.msg).split(':')[0]} ${String(l.source).split('/').pop()}`).sort(), ['copied app:1.0.0', 'copied app:1.1.0', 'failed app:missing-tag', 'filtered out app:2.0.0']);
    assert.ok(lines.some((l) => /one or more tasks had errors/.test(String(l.msg))));
    const inv = await ferry([`-config=${f}`, '-run=!task-a']);
    assert.equal(inv.code, 0, inv.stdout);
    assert.deepEqual(await tagsOf(dst, 'run/abc'), ['2.0.0']);
  });

  test('validate: warnings printed, exit 0; --strict turns unknown keys into errors, exit 1', async () => {
    const f = await write('warn.yaml', `${header()}${task('v', `      - from: team/app\n        tagz: [x]\n`)}`);
    const ok = await ferry(['validate', '--config', f]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /warning: .*warn\.yaml:\d+: .*tagz.*did you mean "tags"/);
    const strict = await ferry(['validate', '--config', f, '--strict']);
    assert.equal(strict.code, 1);
  });

  test('plan: exit 3 with drift, 0 in sync; JSON output; HEADs only (no source manifest GET)', async () => {
    const f = await write('plan.yaml', `${header()}${task('p', `      - from: team/app\n        to: plan/app\n        tags: ['semver: >=1.0.0']\n        platform: all\n`)}`);
    via.reset();
    const drift = await ferry(['plan', '--config', f, '--output', 'json']);
    assert.equal(drift.code, 3, drift.stderr);
    const json = JSON.parse(drift.stdout) as { tasks: Array<{ toCopy: number; pullsNeeded: number }> };
    assert.equal(json.tasks[0]?.toCopy, 3);
    assert.equal(json.tasks[0]?.pullsNeeded, 3);
    assert.equal(via.count({ method: 'GET', pathRegex: /\/manifests\// }), 0);
    assert.equal((await ferry(['sync', '--config', f, '--once'])).code, 0);
    const clean = await ferry(['plan', '--config', f]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /up to date\s+1\.0\.0/);
  });

  test('a periodic task: SIGTERM stops the daemon cleanly with exit 0', async () => {
    const f = await write('daemon.yaml', `${header()}${task('periodic', `      - from: team/app\n        to: daemon/app\n        tags: ['1.0.0']\n`, 3600)}`);
    const child = spawn(process.execPath, [BIN, `-config=${f}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let taskDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (taskDone = resolve));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/task done/.test(out)) taskDone();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The first run's end (or the daemon's death, which fails below); no polling.
    await Promise.race([done, exited]);
    assert.match(out, /task done/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.equal(await digestOf(dst, 'daemon/app', '1.0.0'), digests['1.0.0']);
  });
});
