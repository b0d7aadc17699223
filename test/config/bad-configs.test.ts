import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigText } from '../../src/config/index.js';
import { isFerryError } from '../../src/errors.js';

/**
 * One YAML fixture per validation error (dregsy's own test style), each with a sibling `.expected` file holding
 * the exact error lines. `*.strict.yaml` fixtures are loaded with `strict: true`. No environment is visible.
 * Paths in fixtures (certs-dir) are relative to the repository root, where the tests run. `docker-config-*.yaml`
 * fixtures see one variable, DOCKER_CONFIG=test/fixtures/config/docker/<fixture name>.
 */
const dir = fileURLToPath(new URL('../fixtures/config/bad/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const fixtureEnv = (f: string): Record<string, string> => (f.startsWith('docker-config-') ? { DOCKER_CONFIG: `test/fixtures/config/docker/${f.replace(/\.yaml$/, '')}` } : {});

describe('bad configs: each fails with its exact messages', () => {
  it('the corpus has at least 30 fixtures', () => assert.ok(fixtures.length >= 30, `${fixtures.length}`));
  for (const f of fixtures) {
    it(f, async () => {
      const expected = readFileSync(join(dir, f.replace(/\.yaml$/, '.expected')), 'utf8').trimEnd().split('\n');
      await assert.rejects(
        loadConfigText(readFileSync(join(dir, f), 'utf8'), f, { env: fixtureEnv(f), strict: f.includes('.strict.') }),
        (e: unknown) => {
          assert.ok(isFerryError(e, 'CONFIG_INVALID'));
          const issues = (e.context.issues as unknown[]).map(String);
          assert.deepEqual(issues, expected);
          const message = expected.length === 1 ? expected[0] : `config file '${f}' has ${expected.length} errors:\n${expected.join('\n')}`;
          assert.equal(e.message, message);
          assert.equal(e.context.file, f);
          return true;
        },
      );
    });
  }
});
