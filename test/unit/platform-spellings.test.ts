/**
 * One table of platform spellings, checked through both places a user writes one: a mapping's `platform:` in a
 * config (messages with file, line and key) and `ferry copy --platform` (usage errors, warnings in the log). Both
 * must read every spelling the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { platformSelection } from '../../src/cli/commands/copy.js';
import { parseConfig } from '../../src/config/index.js';
import { isFerryError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { describeSelection, HOST_ARCH } from '../../src/oci/platform.js';

interface Row {
  written: string;
  /** what is copied (describeSelection), or the error */
  reads?: string;
  error?: RegExp;
  /** the warning, when the spelling is read as something else */
  warns?: RegExp;
}

const TABLE: Row[] = [
  { written: 'linux/amd64', reads: 'linux/amd64' },
  { written: 'linux/arm64/v8', reads: 'linux/arm64/v8' },
  { written: 'linux/arm/v7', reads: 'linux/arm/v7' },
  { written: 'windows/amd64/10.0.17763', reads: 'windows/amd64/10.0.17763' },
  { written: 'linux/amd64,linux/arm64', reads: 'linux/amd64,linux/arm64' },
  { written: 'linux/x86_64', reads: 'linux/amd64', warns: /"linux\/x86_64" uses "x86_64", which OCI calls "amd64": ferry reads it as linux\/amd64/ },
  { written: 'linux/x86-64', reads: 'linux/amd64', warns: /which OCI calls "amd64"/ },
  { written: 'linux/x64', reads: 'linux/amd64', warns: /which OCI calls "amd64"/ },
  { written: 'linux/aarch64', reads: 'linux/arm64', warns: /"aarch64", which OCI calls "arm64"/ },
  { written: 'linux/aarch64/v8', reads: 'linux/arm64/v8', warns: /reads it as linux\/arm64\/v8/ },
  { written: 'linux/armhf', reads: 'linux/arm/v7', warns: /"armhf", which OCI calls "arm\/v7"/ },
  { written: 'linux/armv7l', reads: 'linux/arm/v7', warns: /OCI calls "arm\/v7"/ },
  { written: 'linux/armv7', reads: 'linux/arm/v7', warns: /OCI calls "arm\/v7"/ },
  { written: 'linux/armel', reads: 'linux/arm/v6', warns: /OCI calls "arm\/v6"/ },
  { written: 'linux/armv6', reads: 'linux/arm/v6', warns: /OCI calls "arm\/v6"/ },
  { written: 'linux/armhf/v7', reads: 'linux/arm/v7', warns: /OCI calls "arm\/v7"/ },
  { written: 'linux/i386', reads: 'linux/386', warns: /OCI calls "386"/ },
  { written: 'linux/i686', reads: 'linux/386', warns: /OCI calls "386"/ },
  { written: 'linux/x86', reads: 'linux/386', warns: /OCI calls "386"/ },
  { written: 'linux', reads: `linux/${HOST_ARCH}`, warns: /platform "linux" names no architecture: like dregsy, ferry uses this host's/ },
  { written: 'linux/armhf/v6', error: /platform "linux\/armhf\/v6" is contradictory: "armhf" means arm\/v7; write linux\/arm\/v6 or linux\/arm\/v7/ },
  { written: 'Linux/AMD64', error: /platform "Linux\/AMD64" must be lower case: write linux\/amd64/ },
  { written: 'linux/amd64/v1/x', error: /invalid platform "linux\/amd64\/v1\/x": write os\/arch\[\/variant\]/ },
  { written: 'linux/', error: /invalid platform "linux\/"/ },
  { written: 'linux/amd64,all', error: /"all" cannot be combined with other platforms: write all alone, or list the platforms/ },
];

const WHERE = 'c.yaml:7: tasks[0].mappings[0].platform: ';

/** A config whose one mapping has `platform: <written>`; the error or warning issues, as the user sees them. */
function throughConfig(written: string): { reads?: string; error?: string; warnings: string[] } {
  const text = `tasks:\n  - name: t\n    source: {registry: s.example.com, auth: none}\n    target: {registry: t.example.com, auth: none}\n    mappings:\n      - from: a/b\n        platform: "${written}"\n`;
  try {
    const { config, issues } = parseConfig(text, 'c.yaml', { env: {} });
    const warnings = issues.filter((i) => i.severity === 'warning').map(String);
    return { reads: describeSelection(config.tasks[0]!.mappings[0]!.platform), warnings };
  } catch (e) {
    assert.ok(isFerryError(e, 'CONFIG_INVALID'), String(e));
    return { error: e.message, warnings: [] };
  }
}

function throughCli(written: string): { reads?: string; error?: string; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (_o, msg) => void warnings.push(msg ?? ''), child: () => logger };
  try {
    return { reads: describeSelection(platformSelection(false, [written], logger)), warnings };
  } catch (e) {
    assert.ok(isFerryError(e, 'USAGE'), String(e));
    return { error: e.message, warnings };
  }
}

describe('platform spellings: a config and ferry copy --platform read them alike', () => {
  for (const row of TABLE) {
    it(row.written, () => {
      const config = throughConfig(row.written);
      const cli = throughCli(row.written);
      if (row.error) {
        assert.ok(config.error?.startsWith(WHERE), `the config names file, line and key: ${config.error}`);
        assert.match(config.error ?? '', row.error);
        assert.match(cli.error ?? '', row.error);
        return;
      }
      assert.equal(config.reads, row.reads);
      assert.equal(cli.reads, row.reads);
      if (row.warns) {
        assert.equal(config.warnings.length, 1, config.warnings.join('\n'));
        assert.ok(config.warnings[0]!.startsWith(WHERE), config.warnings[0]);
        assert.match(config.warnings[0]!, row.warns);
        assert.equal(cli.warnings.length, 1, cli.warnings.join('\n'));
        assert.ok(cli.warnings[0]!.startsWith('--platform: '), cli.warnings[0]);
        assert.match(cli.warnings[0]!, row.warns);
      } else {
        assert.deepEqual(config.warnings, []);
        assert.deepEqual(cli.warnings, []);
      }
    });
  }

  it('--all and all copy the index as it is, in both', () => {
    assert.equal(throughConfig('all').reads, 'all');
    assert.equal(throughCli('all').reads, 'all');
    assert.equal(describeSelection(platformSelection(true, [], silentLogger)), 'all');
    assert.throws(() => platformSelection(true, ['linux/amd64'], silentLogger), /--all and --platform exclude each other/);
  });

  it('an alias and its OCI name listed together are one platform: the config says it is listed twice', () => {
    const r = throughConfig('linux/amd64,linux/x86_64');
    assert.equal(r.reads, 'linux/amd64');
    assert.match(r.warnings.join('\n'), /platform linux\/amd64 is listed twice/);
  });
});
