/** The registry flags `ferry copy` and `ferry list-tags` share. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFerryError } from '../../src/errors.js';
import { registryFlagOptions, stripDockerTransport, tlsFlag } from '../../src/cli/registry-flags.js';

describe('registry flags', () => {
  test('one set of flags per prefix, as skopeo spells them', () => {
    assert.deepEqual(Object.keys(registryFlagOptions('')), ['creds', 'tls-verify', 'cert-dir', 'endpoint']);
    assert.deepEqual(Object.keys(registryFlagOptions('src-')), ['src-creds', 'src-tls-verify', 'src-cert-dir', 'src-endpoint']);
  });

  test("--tls-verify takes skopeo's boolean spellings; anything else is a usage error naming the flag", () => {
    assert.equal(tlsFlag(undefined, '--tls-verify'), undefined);
    for (const v of ['false', 'FALSE', '0', 'no']) assert.equal(tlsFlag(v, '--tls-verify'), false);
    for (const v of ['true', '1', 'yes']) assert.equal(tlsFlag(v, '--tls-verify'), true);
    assert.throws(() => tlsFlag('off', '--dest-tls-verify'), (e: unknown) => isFerryError(e, 'USAGE') && /--dest-tls-verify takes true or false, got "off"/.test(e.message));
  });

  test('docker:// is optional; other transports are refused; a host named like one, with a port, is a host', () => {
    assert.equal(stripDockerTransport('docker://127.0.0.1:5000/a/b'), '127.0.0.1:5000/a/b');
    assert.equal(stripDockerTransport('redis'), 'redis');
    assert.equal(stripDockerTransport('oci:5000/team/app'), 'oci:5000/team/app');
    for (const t of ['oci:/tmp/layout', 'dir:/tmp/x', 'docker-archive:/tmp/x.tar', 'containers-storage:app']) {
      assert.throws(() => stripDockerTransport(t), (e: unknown) => isFerryError(e, 'USAGE') && /transport is not supported/.test(e.message), t);
    }
  });
});
