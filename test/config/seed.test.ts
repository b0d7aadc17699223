import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig, targetRepository } from '../../src/config/index.js';
import { encodeDregsyAuth } from '../../src/credentials/dregsy-auth.js';
import { isFerryError } from '../../src/errors.js';
import { describeSelection } from '../../src/oci/platform.js';

const example = (name: string) => readFileSync(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)), 'utf8');
const TOKEN_HINT = 'put the base64 of {"username":…,"password":…} here, or use ${ENV_VAR}';
const REGISTRY_HINT = "put the registry's host[:port] here, e.g. harbor.example.com";

function placeholderErrors(file: string, taskLines: Array<[number, number]>): string[] {
  return taskLines.flatMap(([t, line]) => [
    `${file}:${line}: tasks[${t}].source.auth: the placeholder "{Token}" was not replaced: ${TOKEN_HINT}`,
    `${file}:${line + 2}: tasks[${t}].target.registry: the placeholder "{registry_address}" was not replaced: ${REGISTRY_HINT}`,
    `${file}:${line + 3}: tasks[${t}].target.auth: the placeholder "{Token}" was not replaced: ${TOKEN_HINT}`,
  ]);
}

function errorsOf(text: string, file: string): string[] {
  try {
    parseConfig(text, file, { env: {} });
  } catch (e) {
    assert.ok(isFerryError(e, 'CONFIG_INVALID'));
    return (e.context.issues as unknown[]).map(String);
  }
  return [];
}

/** The seed with its placeholders filled the way its comments ask. */
function filled(text: string): string {
  return text.replaceAll('{Token}', encodeDregsyAuth('robot$spaceone+sync', 's3cr"t')).replaceAll('{registry_address}', 'harbor.example.com');
}

describe('seed configs (cloudforet spaceone guide), verbatim', () => {
  it('examples/ holds the seeds byte for byte', () => {
    for (const f of ['dregsy-spaceone-core.yaml', 'dregsy-spaceone-plugin.yaml']) {
      assert.equal(example(f), readFileSync(`/work/shared/seed/${f}`, 'utf8'));
    }
  });
  it('core: exactly the six placeholder errors', () => {
    assert.deepEqual(errorsOf(example('dregsy-spaceone-core.yaml'), 'dregsy-spaceone-core.yaml'), placeholderErrors('dregsy-spaceone-core.yaml', [[0, 19], [1, 53]]));
  });
  it('plugin: exactly the three placeholder errors', () => {
    assert.deepEqual(errorsOf(example('dregsy-spaceone-plugin.yaml'), 'dregsy-spaceone-plugin.yaml'), placeholderErrors('dregsy-spaceone-plugin.yaml', [[0, 19]]));
  });
});

describe('seed configs with placeholders filled', () => {
  it('core: two tasks, 5 + 17 mappings, Docker Hub to Harbor', () => {
    const { config, issues } = parseConfig(filled(example('dregsy-spaceone-core.yaml')), 'core.yaml', { env: {} });
    assert.equal(config.relay, 'skopeo');
    assert.equal(config.watch, true);
    assert.deepEqual(config.lister, { maxItems: 100, cacheDurationMs: 7_200_000 });
    assert.deepEqual(issues.map((i) => i.code), ['relay', 'ignored']);
    assert.deepEqual(config.tasks.map((t) => [t.name, t.intervalSeconds, t.verbose, t.mappings.length]), [
      ['sync_spaceone_doc', 21600, true, 5],
      ['sync_spaceone_core', 21600, true, 17],
    ]);
    const [doc] = config.tasks;
    assert.ok(doc);
    assert.equal(doc.source.canonical, 'docker.io');
    assert.equal(doc.target.registry, 'harbor.example.com');
    assert.equal(doc.target.skipTlsVerify, true);
    assert.equal(doc.source.skipTlsVerify, false);
    const creds = doc.target.credentials;
    assert.ok(creds.kind === 'static' && 'username' in creds.credentials);
    assert.equal(creds.credentials.username, 'robot$spaceone+sync');
    assert.equal(creds.credentials.password, 's3cr"t');
    assert.deepEqual(
      doc.mappings.map((m) => [m.from.kind === 'plain' ? m.from.repository : '', targetRepository(doc.target, m, m.from.kind === 'plain' ? m.from.repository : ''), describeSelection(m.platform)]),
      [
        ['spaceone/spacectl', 'your_registry_project/spaceone/spacectl', 'all'],
        ['spaceone/marketplace-assets', 'your_registry_project/spaceone/marketplace-assets', 'all'],
        ['spaceone/docs', 'your_registry_project/spaceone/docs', 'all'],
        ['redis', 'your_registry_project/spaceone/redis', 'all'],
        ['mongo', 'your_registry_project/spaceone/mongo', 'all'],
      ],
    );
    const regex = doc.mappings[0]?.tags;
    assert.equal(regex?.needsTagList, true);
    assert.deepEqual(regex?.apply(['1.11.0', '1.11.13', '1.11.100', '1.11.5-rc1', '1.12.0', 'latest', '1.1.1']).tags, ['1.11.0', '1.11.100', '1.11.13', '1.11.5-rc1']); // the trailing .* admits 1.11.100
    assert.equal(doc.mappings[3]?.tags.needsTagList, false);
    assert.deepEqual(doc.mappings[3]?.tags.apply([]).tags, ['latest']);
  });
  it('plugin: semver range plus keep: latest 2', () => {
    const { config } = parseConfig(filled(example('dregsy-spaceone-plugin.yaml')), 'plugin.yaml', { env: {} });
    const [t] = config.tasks;
    assert.ok(t);
    assert.equal(t.mappings.length, 25);
    assert.ok(t.mappings.every((m) => m.from.kind === 'plain' && m.from.repository.startsWith('spaceone/plugin-')));
    const f = t.mappings[0]?.tags;
    assert.deepEqual(f?.toJSON(), ['semver: >=1.0.0 <1.99.0', 'keep: latest 2']);
    assert.deepEqual(f?.apply(['0.9.0', '1.0.0', '1.10.1', '1.10.2-rc1', '1.9.8', '1.99.0', '2.0.0', 'latest']).tags, ['1.10.1', '1.10.2-rc1']);
  });
});

describe('examples/ferry-mirror.yaml', () => {
  it('loads, with the registries block applied', () => {
    const { config } = parseConfig(example('ferry-mirror.yaml'), 'ferry-mirror.yaml', { env: { HUB_AUTH: encodeDregsyAuth('me', 'pw') } });
    assert.equal(config.registries['docker.io']?.pullReserve, 10);
    const [t] = config.tasks;
    assert.equal(t?.target.endpoint, 'http://127.0.0.1:5000');
    assert.equal(t?.target.httpFallback, false);
    assert.equal(t?.source.canonical, 'docker.io');
    assert.deepEqual(t?.mappings.map((m) => describeSelection(m.platform)), ['all', 'linux/amd64,linux/arm64']);
  });
  it('names the missing environment variable', () => {
    assert.throws(() => parseConfig(example('ferry-mirror.yaml'), 'ferry-mirror.yaml', { env: {} }), {
      message: 'ferry-mirror.yaml:15: tasks[0].source.auth: environment variable HUB_AUTH is not set (referenced as ${HUB_AUTH}): set it before starting ferry, or write the value here',
    });
  });
});
