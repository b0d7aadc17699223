/** The config errors of issue 13 §4 as users meet them: the built CLI, exit 1, the message on the terminal. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ferry } from './helpers.js';

describe('config errors through the CLI', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-cfg-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const write = async (name: string, text: string) => {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  };

  test('an empty file (an unmounted ConfigMap key): validate and sync --once exit 1 and say the file is empty', async () => {
    const f = await write('config.yaml', '# mounted from a ConfigMap\n\n');
    const v = await ferry(['validate', '--config', f]);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stderr, new RegExp(`^${f.replaceAll('.', '\\.')}:1: the config file is empty .*ConfigMap or Secret`));
    const s = await ferry([`-config=${f}`, '-once'], { LOG_FORMAT: 'json' });
    assert.equal(s.code, 1);
    assert.match(s.stdout, /the config file is empty/);
    assert.doesNotMatch(s.stdout, /syncing task/);
  });

  test('tasks: [] is valid, with a warning', async () => {
    const v = await ferry(['validate', '--config', await write('none.yaml', 'tasks: []\n')]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /warning: .*none\.yaml:1: tasks: tasks: \[\] lists no tasks/);
  });

  test('an unknown alias: its own line and column; a repeated key: the key and both lines', async () => {
    const f = await write(
      'two.yaml',
      `tasks:
  - name: t
    source: {registry: source.example.com, auth: none}
    target:
      registry: target.example.com
      auth: *target-auth
    mappings:
      - from: library/busybox
        tags: ['semver: >=1.36.0']
        tags: [latest]
`,
    );
    const v = await ferry(['validate', '--config', f]);
    assert.equal(v.code, 1);
    assert.equal(v.stderr, `${f}:6:13: tasks[0].target.auth: unknown alias *target-auth: no anchor &target-auth is defined before it; define the anchor first, or check the spelling\n`);
    const dup = await write('dup.yaml', readFileSync(f, 'utf8').replace('*target-auth', 'none'));
    const d = await ferry(['validate', '--config', dup]);
    assert.equal(d.code, 1);
    assert.equal(d.stderr, `${dup}:10:9: tasks[0].mappings[0].tags: key "tags" is repeated in one mapping (lines 9 and 10): keep one of them (dregsy would silently use the last)\n`);
  });
});
