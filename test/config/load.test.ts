import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig, loadConfigText, parseConfig, type LoadOptions, type TaskConfig } from '../../src/config/index.js';
import { encodeDregsyAuth } from '../../src/credentials/dregsy-auth.js';
import { isFerryError } from '../../src/errors.js';
import { describeSelection } from '../../src/oci/platform.js';

const AUTH = encodeDregsyAuth('alex', 'TOPSECRET');
const load = (text: string, opts: LoadOptions = {}) => parseConfig(text, 'c.yaml', { env: {}, ...opts });
const task = (text: string, opts?: LoadOptions): TaskConfig => {
  const t = load(text, opts).config.tasks[0];
  assert.ok(t);
  return t;
};
const minimal = (mapping = '      - from: library/busybox\n', extra = '') => `tasks:
  - name: t
${extra}    source: {registry: src.example.com, auth: none}
    target: {registry: dst.example.com, auth: none}
    mappings:
${mapping}`;

describe('dregsy README example', () => {
  const text = `relay: skopeo
watch: true
skopeo:
  binary: skopeo
  certs-dir: /etc/skopeo/certs.d
docker:
  dockerhost: unix:///var/run/docker.sock
  api-version: 1.41
lister:
  maxItems: 100
  cacheDuration: 1h
tasks:
  - name: task1
    interval: 60
    verbose: true
    source:
      registry: source-registry.acme.com
      auth: eyJ1c2VybmFtZSI6ICJhbGV4IiwgInBhc3N3b3JkIjogInNlY3JldCJ9Cg==
    target:
      registry: dest-registry.acme.com
      auth: eyJ1c2VybmFtZSI6ICJhbGV4IiwgInBhc3N3b3JkIjogImFsc29zZWNyZXQifQo=
      skip-tls-verify: true
    mappings:
      - from: test/image
        to: archive/test/image
        tags: ['0.1.0', '0.1.1']
      - from: test/another-image
        platform: linux/arm64/v8
`;
  it('loads with the expected values', () => {
    const { config, issues } = load(text);
    assert.equal(config.relay, 'skopeo');
    assert.match(config.relayNotice ?? '', /ferry copies images itself/);
    assert.equal(config.watch, true);
    assert.equal(config.certsDir, '/etc/skopeo/certs.d');
    assert.deepEqual(config.lister, { maxItems: 100, cacheDurationMs: 3_600_000 });
    const t = config.tasks[0];
    assert.ok(t);
    assert.equal(t.name, 'task1');
    assert.equal(t.intervalSeconds, 60);
    assert.equal(t.verbose, true);
    assert.equal(t.where.line, 13);
    assert.deepEqual({ ...t.source.credentials, credentials: { ...(t.source.credentials as { credentials: object }).credentials } }, {
      kind: 'static',
      credentials: { username: 'alex', password: 'secret' },
    });
    assert.equal(t.target.skipTlsVerify, true);
    assert.equal(t.target.certsDir, '/etc/skopeo/certs.d/dest-registry.acme.com');
    assert.equal(t.source.endpoint, 'https://source-registry.acme.com');
    const [m0, m1] = t.mappings;
    assert.deepEqual(m0?.from, { kind: 'plain', repository: 'test/image' });
    assert.deepEqual(m0?.to, { kind: 'plain', path: 'archive/test/image' });
    assert.deepEqual(m0?.tags.apply([]).tags, ['0.1.0', '0.1.1']);
    assert.deepEqual(m0?.platform, { kind: 'all' });
    assert.equal(m0?.where.line, 24);
    assert.deepEqual(m1?.to, { kind: 'plain', path: 'test/another-image' });
    assert.deepEqual(m1?.platform, { kind: 'some', platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }] });
    assert.deepEqual(
      issues.map((i) => `${i.severity} ${i.line} ${i.path}`),
      ['info 1 relay', 'info 4 skopeo.binary', 'info 6 docker'],
    );
  });
});

describe('yaml.v2 behaviour', () => {
  it('string scalars keep their source text: tags: [1.10, 3, 010, 1e3, true]', () => {
    const t = task(minimal(`      - from: a/b\n        tags: [1.10, 3, 010, 1e3, 'x', "y", ~]\n`.replace(', ~', '')));
    assert.deepEqual(t.mappings[0]?.tags.toJSON(), ['1.10', '3', '010', '1e3', 'x', 'y']);
  });
  for (const [text, want] of [['yes', true], ['on', true], ['y', true], ['Y', true], ['TRUE', true], ['no', false], ['off', false], ['n', false], ['False', false]] as const) {
    it(`bool fields accept ${text}`, () => assert.equal(task(minimal(undefined, `    verbose: ${text}\n`)).verbose, want));
  }
  it('anchors, aliases and << merges', () => {
    const t = load(`x-common: &src
  registry: src.example.com
  auth: none
x-maps: &maps
  - from: a/b
tasks:
  - name: one
    source: *src
    target:
      <<: *src
      registry: dst.example.com
      skip-tls-verify: on
    mappings: *maps
  - name: two
    source: {<<: [*src], skip-tls-verify: yes}
    target: *src
    mappings: *maps
`).config;
    assert.deepEqual(config(t).map((x) => [x.name, x.source.registry, x.target.registry, x.target.skipTlsVerify, x.source.skipTlsVerify, x.mappings.length]), [
      ['one', 'src.example.com', 'dst.example.com', true, false, 1],
      ['two', 'src.example.com', 'src.example.com', false, true, 1],
    ]);
    function config(c: typeof t) {
      return c.tasks;
    }
  });
  it('unknown top-level x- keys used for anchors are only warnings', () => {
    const { issues } = load(`x-a: &a 1\n${minimal()}`);
    assert.deepEqual(issues.filter((i) => i.code === 'unknown-key').map(String), ['c.yaml:1: x-a: unknown key "x-a" is ignored']);
  });
  it('integers: decimal, hex, underscores, floats truncated', () => {
    assert.equal(task(minimal(undefined, '    interval: 0x3c\n')).intervalSeconds, 60);
    assert.equal(task(minimal(undefined, '    interval: 3_600\n')).intervalSeconds, 3600);
    assert.equal(task(minimal(undefined, '    interval: 60.9\n')).intervalSeconds, 60);
  });
  it('a key repeated in one mapping is an error naming the key and both lines (yaml.v2 would keep the last)', () => {
    assert.throws(
      () => load(minimal(undefined, '    interval: 60\n    interval: 120\n')),
      (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && e.message === 'c.yaml:4:5: tasks[0].interval: key "interval" is repeated in one mapping (lines 3 and 4): keep one of them (dregsy would silently use the last)',
    );
  });
  it('a key overriding one brought in by a << merge is not a repeat, nor are keys two merge sources share', () => {
    const { config, issues } = load(`x-a: &a {registry: a.example.com, auth: none, skip-tls-verify: true}
x-b: &b {registry: b.example.com, skip-tls-verify: false}
tasks:
  - name: t
    source:
      <<: *a
      registry: src.example.com
    target:
      <<: [*b, *a]
`);
    const t = config.tasks[0];
    assert.equal(t?.source.registry, 'src.example.com');
    assert.equal(t?.source.skipTlsVerify, true);
    assert.deepEqual([t?.target.registry, t?.target.skipTlsVerify, t?.target.credentials.kind], ['b.example.com', false, 'none']);
    assert.deepEqual(issues.filter((i) => i.severity === 'warning' && i.code !== 'unknown-key').map(String), []);
  });
  it('an anchor used twice is not a repeat of its keys', () => {
    const { config } = load(`x: &loc {registry: a.example.com, auth: none}\ntasks:\n  - name: t\n    source: *loc\n    target: *loc\n`);
    assert.equal(config.tasks[0]?.target.registry, 'a.example.com');
  });
  it('an alias naming no anchor points at the alias itself: line and column', () => {
    assert.throws(
      () => load(`tasks:\n  - name: t\n    source: {registry: a.example.com, auth: none}\n    target:   *nowhere\n`),
      (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && e.message.startsWith('c.yaml:4:15: tasks[0].target: unknown alias *nowhere: no anchor &nowhere is defined before it') && e.context.line === 4,
    );
  });
  it('an alias used before its anchor is defined is unknown (YAML reads top to bottom)', () => {
    assert.throws(
      () => load(`tasks:\n  - name: t\n    source: *s\n    target: &s {registry: a.example.com}\n`),
      (e: unknown) => isFerryError(e) && /^c\.yaml:3:13: tasks\[0\]\.source: unknown alias \*s/.test(e.message),
    );
  });
  const syntax: Array<[string, string, RegExp]> = [
    ['an unclosed double quote: where it opens, not the end of the file', 'a: 1\nb: "open\nc: 2\nd: 3\n', /^c\.yaml:2:4: error parsing config file: Missing closing "quote$/],
    ["an unclosed single quote, after a comment with an apostrophe", "# it's here\nb: 'open\nc: 2\n", /^c\.yaml:2:4: error parsing config file: Missing closing 'quote$/],
    ['an unclosed flow sequence: where it opens', 'a: [1, 2\nb: 3\nc: 4\n', /^c\.yaml:1:4: error parsing config file: Flow sequence/],
    ['an unclosed flow mapping: where it opens', 'tasks:\n  - name: t\n    source: {registry: x\n    target: y\n', /^c\.yaml:3:13: error parsing config file: Flow map/],
    ['a tab used for indentation', 'tasks:\n\t- name: t\n', /^c\.yaml:2:1: error parsing config file: Tabs are not allowed as indentation/],
    ['a key indented under a line that has a value: the key, not the value', 'tasks:\n  - name: t\n    source: x\n      registry: y\n', /^c\.yaml:4:15: error parsing config file: a key here is indented under line 3, which already has a value/],
    ['key: value as a value on one line', 'a: 1\nb: c: d\n', /^c\.yaml:2:4: error parsing config file: a "key: value" cannot be the value of another key on the same line/],
    ['a second document', 'tasks: []\n---\ntasks: []\n', /^c\.yaml:2:1: error parsing config file: the file holds more than one YAML document \(a second "---" line\)/],
  ];
  for (const [what, text, re] of syntax) it(`YAML errors carry the offending token's line: ${what}`, () => {
    assert.throws(() => load(text), (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && re.test(e.message) && e.context.line === Number(/^c\.yaml:(\d+)/.exec(e.message)?.[1]));
  });
});

describe('durations and intervals', () => {
  const lister = (v: string) => load(`lister:\n  cacheDuration: ${v}\n${minimal()}`);
  const table: Array<[string, number]> = [
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['0', 3_600_000], // 0 means the default
    ['-1', 0], // -1 ns: negative, no caching
    ['-1s', 0],
    ['1000000000', 1000], // a bare number is nanoseconds
  ];
  for (const [v, ms] of table) it(`cacheDuration: ${v} → ${ms} ms`, () => assert.equal(lister(v).config.lister.cacheDurationMs, ms));
  it('a small bare number warns that it is nanoseconds', () => {
    assert.match(lister('3600').issues.map(String).join('\n'), /a bare number is nanoseconds \(as in dregsy\), so 3600 caches for 0.0036 ms/);
  });
  it('maxItems: 0 → 100, negative → no limit', () => {
    assert.equal(load(`lister: {maxItems: 0}\n${minimal()}`).config.lister.maxItems, 100);
    assert.equal(load(`lister: {maxItems: -1}\n${minimal()}`).config.lister.maxItems, null);
  });
  it('interval 0 and omitted mean one-off; 30 is the minimum', () => {
    assert.equal(task(minimal()).intervalSeconds, 0);
    assert.equal(task(minimal(undefined, '    interval: 0\n')).intervalSeconds, 0);
    assert.equal(task(minimal(undefined, '    interval: 30\n')).intervalSeconds, 30);
  });
  it('auth-refresh on ECR, raised to 1h with a warning', () => {
    const r = load(`tasks:
  - name: ecr
    source: {registry: src.example.com}
    target: {registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com, auth-refresh: 10m}
`);
    const t = r.config.tasks[0];
    assert.equal(t?.target.authRefreshMs, 3_600_000);
    assert.deepEqual(t?.target.ecr, { public: false, account: '123456789012', region: 'eu-west-1' });
    assert.match(r.issues.map(String).join('\n'), /auth-refresh too short, setting to minimum \(1h; 10m0s was given\)/);
  });
  it('public ECR long form', () => {
    const t = task(`tasks:\n  - name: p\n    source: {registry: "123456789012:us-east-1@public.ecr.aws", auth-refresh: 2h}\n    target: {registry: t.example.com}\n`);
    assert.equal(t.source.canonical, 'public.ecr.aws');
    assert.deepEqual(t.source.ecr, { public: true, account: '123456789012', region: 'us-east-1' });
    assert.equal(t.source.authRefreshMs, 7_200_000);
  });
});

describe('defaults and ferry additions', () => {
  for (const [what, text] of <Array<[string, string]>>[['zero bytes', ''], ['whitespace', ' \n\n\t\n'], ['comments', '# config.yaml\n\n  # nothing here\n'], ['a document marker', '---\n# empty\n'], ['null', '~\n']]) {
    it(`a file with no content (${what}) is an error that says the file is empty and what to do`, () => {
      assert.throws(
        () => load(text),
        (e: unknown) =>
          isFerryError(e, 'CONFIG_INVALID') && /^c\.yaml:1: the config file is empty \(.*\), so it has no tasks: if it is mounted from a ConfigMap or Secret, check that the key exists and is mounted/.test(e.message),
      );
    });
  }
  it('an explicit empty task list is valid, with a warning', () => {
    const r = load('watch: false\ntasks: []\n');
    assert.deepEqual(r.config.tasks, []);
    assert.equal(r.config.watch, false);
    assert.deepEqual(r.issues.filter((i) => i.severity === 'warning').map(String), ['c.yaml:2: tasks: tasks: [] lists no tasks: there is nothing to do']);
  });
  it('no auth means the Docker config; auth: none means anonymous', () => {
    const t = task(`tasks:\n  - name: t\n    source: {registry: a.example.com}\n    target: {registry: b.example.com, auth: none}\n`);
    assert.deepEqual(t.source.credentials, { kind: 'docker-config' });
    assert.deepEqual(t.target.credentials, { kind: 'none' });
  });
  it('Docker Hub aliases share a canonical name; a loopback registry is https, with the plain-http fallback', () => {
    const t = task(`tasks:\n  - name: t\n    source: {registry: registry.hub.docker.com}\n    target: {registry: "127.0.0.1:5000"}\n    mappings:\n      - from: redis\n`);
    assert.equal(t.source.canonical, 'docker.io');
    assert.equal(t.source.endpoint, 'https://registry-1.docker.io');
    assert.equal(t.source.httpFallback, false);
    assert.equal(t.target.endpoint, 'https://127.0.0.1:5000');
    assert.equal(t.target.httpFallback, true);
    assert.equal(t.target.certsDir, '/etc/skopeo/certs.d/127.0.0.1');
    assert.deepEqual(t.mappings[0]?.from, { kind: 'plain', repository: 'redis' });
  });
  it('a registry with a path: the path prefixes repositories, as in dregsy', () => {
    const t = task(`tasks:\n  - name: t\n    source: {registry: src.example.com}\n    target: {registry: harbor.example.com/mirror}\n`);
    assert.equal(t.target.canonical, 'harbor.example.com');
    assert.equal(t.target.repositoryPrefix, 'mirror');
  });
  it('registries: endpoint override, TLS, limits, credentials', () => {
    const r = load(
      `registries:
  registry.hub.docker.com:
    endpoint: http://127.0.0.1:5001
    pull-reserve: 20
    credentials: ['\${HUB2}']
  harbor.example.com:
    skip-tls-verify: true
    certs-dir: /etc/ferry/harbor
    max-concurrency: 8
    requests-per-second: 2.5
    low-speed-limit: 512
    low-speed-time: 2m
tasks:
  - name: t
    source: {registry: docker.io}
    target: {registry: harbor.example.com}
`,
      { env: { HUB2: encodeDregsyAuth('second', 'pw2') } },
    );
    const hub = r.config.registries['docker.io'];
    assert.equal(hub?.endpoint, 'http://127.0.0.1:5001');
    assert.equal(hub?.pullReserve, 20);
    assert.equal(hub?.maxConcurrency, 4);
    assert.deepEqual(hub?.credentials.map((c) => ({ ...c })), [{ username: 'second', password: 'pw2' }]);
    const harbor = r.config.registries['harbor.example.com'];
    assert.deepEqual([harbor?.skipTlsVerify, harbor?.certsDir, harbor?.maxConcurrency, harbor?.requestsPerSecond, harbor?.pullReserve], [true, '/etc/ferry/harbor', 8, 2.5, 0]);
    assert.deepEqual([harbor?.lowSpeedLimit, harbor?.lowSpeedTimeMs], [512, 120_000]);
    assert.deepEqual([hub?.lowSpeedLimit, hub?.lowSpeedTimeMs], [undefined, undefined], 'unset: the defaults apply when connecting');
    const t = r.config.tasks[0];
    assert.equal(t?.source.endpoint, 'http://127.0.0.1:5001');
    assert.equal(t?.source.httpFallback, false, 'an endpoint is used as written');
    assert.equal(t?.target.endpoint, 'https://harbor.example.com');
    assert.equal(t?.target.httpFallback, true, 'skip-tls-verify (here from registries:) makes an insecure registry');
    assert.equal(t?.target.skipTlsVerify, true);
    assert.equal(t?.target.certsDir, '/etc/ferry/harbor');
  });
  it('platform: list, comma list, all', () => {
    const p = (v: string) => task(minimal(`      - from: a/b\n        platform: ${v}\n`)).mappings[0]?.platform;
    const texts = (v: string) => describeSelection(p(v)!);
    assert.deepEqual(p('all'), { kind: 'all' });
    assert.equal(texts('[linux/amd64, linux/arm/v7]'), 'linux/amd64,linux/arm/v7');
    assert.equal(texts('"linux/amd64,linux/arm64"'), 'linux/amd64,linux/arm64');
  });
  it('${ENV} and ${file:} in auth', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'auth'), `${AUTH}\n`);
    const t = task(`tasks:\n  - name: t\n    source: {registry: a.example.com, auth: '\${A}'}\n    target: {registry: b.example.com, auth: "\${file:${join(dir, 'auth')}}"}\n`, {
      env: { A: encodeDregsyAuth('robot$proj+ci', 'p"w\\') },
    });
    assert.deepEqual({ ...(t.source.credentials as { credentials: object }).credentials }, { username: 'robot$proj+ci', password: 'p"w\\' });
    assert.deepEqual({ ...(t.target.credentials as { credentials: object }).credentials }, { username: 'alex', password: 'TOPSECRET' });
  });
  it('the engine-facing tag filter is compiled', () => {
    const t = task(minimal(`      - from: a/b\n        tags: ['semver: >=1.0.0', 'keep: latest 1', latest]\n`));
    assert.deepEqual(t.mappings[0]?.tags.apply(['0.9.0', '1.0.0', '1.1.0']).tags, ['1.1.0', 'latest']);
  });
});

describe('warnings', () => {
  it('unknown keys get a line and a suggestion; strict makes them errors', () => {
    const text = `relay: skopeo\nwatch: true\nlistr: {maxItems: 5}\n${minimal('      - from: a/b\n        tag: [latest]\n', '    intervall: 60\n')}`;
    assert.deepEqual(load(text).issues.filter((i) => i.code === 'unknown-key').map(String), [
      'c.yaml:3: listr: unknown key "listr" is ignored; did you mean "lister"?',
      'c.yaml:6: tasks[0].intervall: unknown key "intervall" is ignored; did you mean "interval"?',
      'c.yaml:11: tasks[0].mappings[0].tag: unknown key "tag" is ignored; did you mean "tags"?',
    ]);
    assert.throws(() => load(text, { strict: true }), /has 3 errors:\nc\.yaml:3: listr: unknown key "listr"; did you mean "lister"\?/);
  });
  it('keep:latest 5 (no space) warns', () => {
    assert.match(load(minimal(`      - from: a/b\n        tags: ['semver: >=1.0.0', 'keep:latest 5']\n`)).issues.map(String).join('\n'), /is a prune regex, not a count/);
  });
  it('duplicate task names warn', () => {
    const text = `tasks:\n  - name: a\n    source: {registry: s.example.com}\n    target: {registry: t.example.com}\n  - name: a\n    source: {registry: s.example.com}\n    target: {registry: t.example.com}\n`;
    assert.match(load(text).issues.map(String).join('\n'), /c\.yaml:5: tasks\[1\]\.name: task name "a" is also used on line 2/);
  });
});

describe('loading files', () => {
  it('a missing file', async () => {
    await assert.rejects(loadConfig('/nonexistent/ferry.yaml'), (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && e.message === "error loading config file '/nonexistent/ferry.yaml': no such file");
  });
  it('secrets are not in JSON, String or inspect of the config, nor in error messages', () => {
    const { config } = load(`tasks:\n  - name: t\n    source: {registry: a.example.com, auth: ${AUTH}}\n    target: {registry: b.example.com}\n`);
    for (const s of [JSON.stringify(config), inspect(config, { depth: 20 }), String(config.tasks[0]?.source.credentials)]) assert.ok(!s.includes('TOPSECRET'), s);
    assert.throws(
      () => load(`tasks:\n  - name: t\n    source: {registry: a.example.com, auth: ${Buffer.from('{"username":"u","password":"TOPSECRET"').toString('base64')}}\n    target: {registry: b.example.com}\n`),
      (e: unknown) => isFerryError(e) && !e.message.includes('TOPSECRET') && !JSON.stringify(e.context).includes('TOPSECRET'),
    );
  });
});

describe('platform given as an OS alone (dregsy compatibility)', () => {
  it('means this host\'s architecture, as skopeo did for dregsy, with a warning saying so', async () => {
    const { HOST_ARCH } = await import('../../src/oci/platform.js');
    const { config, issues } = load(minimal('      - from: library/busybox\n        platform: linux\n'));
    assert.deepEqual(config.tasks[0]!.mappings[0]!.platform, { kind: 'some', platforms: [{ os: 'linux', architecture: HOST_ARCH }] });
    assert.match(issues.map(String).join('\n'), new RegExp(`platform "linux" names no architecture: like dregsy, ferry uses this host's \\(linux/${HOST_ARCH}\\)`));
  });
});

describe('files the config points at are checked when it is loaded', () => {
  const dockerTask = `tasks:\n  - name: t\n    source: {registry: a.example.com, auth: none}\n    target: {registry: b.example.com}\n`;
  const dockerDir = (config: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-dc-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'config.json'), config);
    return dir;
  };
  const rejects = (text: string, env: Record<string, string>, message: string) =>
    assert.rejects(loadConfigText(text, 'c.yaml', { env }), (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && e.message === message);

  it('a Docker config that is not JSON, for a target without auth:', async () => {
    const dir = dockerDir('{"auths": {"b.example.com": {"auth": "c2VjcmV0OnBhc3M="}');
    await rejects(dockerTask, { DOCKER_CONFIG: dir }, `c.yaml:4: tasks[0].target: the Docker config ${join(dir, 'config.json')} is not valid JSON: fix or remove it, or give the task an auth:`);
  });
  it('a credential helper that is not on PATH', async () => {
    const dir = dockerDir('{"credHelpers": {"b.example.com": "nowhere"}}');
    await rejects(
      dockerTask,
      { DOCKER_CONFIG: dir, PATH: dir },
      `c.yaml:4: tasks[0].target: no auth: here, so credentials for b.example.com come from the Docker config ${join(dir, 'config.json')}, which names the credential helper docker-credential-nowhere, and it is not on PATH: install it, remove it from the Docker config, or give this target an auth:`,
    );
  });
  it('a helper on PATH, a helper for another registry, or auth: on every location: loaded (helpers are not run)', async () => {
    const dir = dockerDir('{"credsStore": "present", "credHelpers": {"other.example.com": "nowhere"}}');
    writeFileSync(join(dir, 'docker-credential-present'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    assert.equal((await loadConfigText(dockerTask, 'c.yaml', { env: { DOCKER_CONFIG: dir, PATH: dir } })).config.tasks.length, 1);
    const broken = dockerDir('not json');
    const withAuth = dockerTask.replace('{registry: b.example.com}', '{registry: b.example.com, auth: none}');
    assert.equal((await loadConfigText(withAuth, 'c.yaml', { env: { DOCKER_CONFIG: broken } })).config.tasks.length, 1);
  });
  it("a source whose registry lists credentials: never reads the Docker config, so a broken one does not matter; its target still does", async () => {
    const broken = dockerDir('not json');
    const auth = Buffer.from(JSON.stringify({ username: 'alice', password: 'x' })).toString('base64');
    const pooled = `registries:\n  a.example.com: {credentials: ['${auth}']}\ntasks:\n  - name: t\n    source: {registry: a.example.com}\n    target: {registry: b.example.com, auth: none}\n`;
    assert.equal((await loadConfigText(pooled, 'c.yaml', { env: { DOCKER_CONFIG: broken } })).config.tasks.length, 1);
    const targetToo = pooled.replace('{registry: b.example.com, auth: none}', '{registry: a.example.com}');
    await rejects(targetToo, { DOCKER_CONFIG: broken }, `c.yaml:6: tasks[0].target: the Docker config ${join(broken, 'config.json')} is not valid JSON: fix or remove it, or give the task an auth:`);
  });
  it('$HOME/.docker/config.json when DOCKER_CONFIG is not set; nothing without either', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ferry-home-'));
    after(() => rmSync(home, { recursive: true, force: true }));
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), '[');
    await rejects(dockerTask, { HOME: home }, `c.yaml:4: tasks[0].target: the Docker config ${join(home, '.docker', 'config.json')} is not valid JSON: fix or remove it, or give the task an auth:`);
    assert.equal((await loadConfigText(dockerTask, 'c.yaml', { env: {} })).config.tasks.length, 1);
  });
  it('parseConfig (synchronous) reads no referenced file; loadConfigText does', async () => {
    const text = `skopeo: {certs-dir: test/fixtures/config/tls/root}\ntasks:\n  - name: t\n    source: {registry: a.example.com, auth: none}\n    target: {registry: harbor.example.com, auth: none}\n`;
    assert.equal(parseConfig(text, 'c.yaml', { env: {} }).config.tasks.length, 1);
    await assert.rejects(loadConfigText(text, 'c.yaml', { env: {} }), (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && /^c\.yaml:5: tasks\[0\]\.target: the TLS files for harbor\.example\.com .* is not a PEM certificate/.test(e.message));
  });
});

describe('aliases are reported where they are used', () => {
  it('a value that does not fit where an alias puts it: the alias line, not the anchor line', () => {
    assert.throws(
      () => load(`x-name: &name my-task\ntasks:\n  - name: t\n    interval: *name\n    source: {registry: a.example.com, auth: none}\n    target: {registry: b.example.com, auth: none}\n`),
      (e: unknown) => isFerryError(e, 'CONFIG_INVALID') && e.message.startsWith('c.yaml:4: tasks[0].interval: cannot unmarshal !!str `my-task` into int'),
    );
  });
});
