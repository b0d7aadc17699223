/**
 * The scheme rule end to end, with the built CLI against real registries on 127.0.0.1: a registry written without a
 * scheme is https; plain http only when a loopback or skip-tls-verify registry does not speak TLS; a certificate that
 * cannot be verified is an error, never a downgrade. The TLS registry sits behind a TCP tap that tells TLS
 * connections from plain ones, so "no plain-HTTP request reached it" is observed, not inferred.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { layoutCertsDir } from '../harness/certs.js';
import { makeImage, pushImage, type TestManifest } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { startTcpTap, type TcpTapHandle } from '../harness/tcp-tap.js';
import { onCleanup, registry } from '../engine/helpers.js';
import { digestOf, dregsyAuth, ferry, jsonLines } from './helpers.js';

const ROBOT = 'robot$ferry+sync';

describe('the scheme of a registry, end to end', () => {
  let plain: RegistryHandle;
  let tls: RegistryHandle;
  let tap: TcpTapHandle;
  let dir: string;
  let image: TestManifest;

  before(async () => {
    [plain, tls] = await Promise.all([registry({ auth: 'htpasswd' }), registry({ tls: true, auth: 'htpasswd', users: { [ROBOT]: 'robot-secret-1' } })]);
    tap = await startTcpTap(tls.port);
    onCleanup(() => tap.stop());
    dir = await mkdtemp(join(tmpdir(), 'ferry-scheme-'));
    image = makeImage({ kind: 'oci', layers: [300], seed: 'scheme' });
    await pushImage(plain, 'team/app', 'v1', image);
  });

  /** A one-task config: the plain registry (no endpoint, so the fallback) → the TLS registry through the tap. */
  async function config(name: string, target: string, extra = ''): Promise<string> {
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      `${extra}tasks:
  - name: ${name}
    source:
      registry: ${plain.host}
      auth: ${dregsyAuth(plain)}
    target:
      registry: ${tap.host}
      auth: ${dregsyAuth(tls)}
${target}    mappings:
      - from: team/app
        to: ${name}/app
        tags: [v1]
`,
    );
    return file;
  }

  const sync = (file: string) => ferry([`-config=${file}`, '-once'], { LOG_FORMAT: 'json' });
  const copy = (...args: string[]) => ferry(['copy', `--src-creds=${plain.username}:${plain.password}`, `--dest-creds=${ROBOT}:robot-secret-1`, ...args], { LOG_LEVEL: 'warn' });
  /** messages of the images that failed */
  const failures = (out: string) => jsonLines(out).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('failed: '));

  test('a TLS registry with a self-signed certificate on 127.0.0.1 and skip-tls-verify: true; the source is plain HTTP on 127.0.0.1', async () => {
    const before = tap.counts();
    const r = await sync(await config('skip', '      skip-tls-verify: true\n'));
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    assert.equal(await digestOf(tls, 'skip/app', 'v1'), image.digest);
    const after = tap.counts();
    assert.equal(after.plain - before.plain, 0, 'no plain-HTTP connection to the TLS registry');
    assert.ok(after.tls > before.tls);
    assert.ok(jsonLines(r.stdout).some((l) => l.msg === `registry ${plain.host} does not speak TLS: using plain HTTP`), 'the fallback is logged');
  });

  test('ferry copy --dest-tls-verify=false to the TLS registry, from a plain-HTTP source given without a scheme', async () => {
    const before = tap.counts();
    const r = await copy('--dest-tls-verify=false', `docker://${plain.host}/team/app:v1`, `docker://${tap.host}/copy/app:v1`);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await digestOf(tls, 'copy/app', 'v1'), image.digest);
    assert.equal(tap.counts().plain - before.plain, 0);
  });

  test('without skip-tls-verify and without its CA: a clear TLS error, never a silent downgrade', async () => {
    const before = tap.counts();
    const r = await sync(await config('strict', ''));
    assert.equal(r.code, 1, r.stdout.slice(-3000));
    const failed = failures(r.stdout);
    assert.equal(failed.length, 1, r.stdout.slice(-3000));
    for (const { code, msg } of failed) {
      const e = String(msg);
      assert.equal(code, 'TLS_ERROR');
      assert.match(e, new RegExp(`registry ${tap.host}: the TLS certificate of ${tap.host} cannot be verified`), e);
      assert.match(e, /does not fall back to plain HTTP/);
      assert.match(e, new RegExp(`set skip-tls-verify: true for ${tap.host} \\(.*strict\\.yaml:\\d+, or its registries: entry\\), or put its CA certificate in /etc/skopeo/certs\\.d/${tap.host}/ca\\.crt`), e);
    }
    assert.equal(await digestOf(tls, 'strict/app', 'v1'), undefined);

    const c = await copy(`docker://${plain.host}/team/app:v1`, `docker://${tap.host}/strict/app:v1`);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, new RegExp(`registry ${tap.host}: the TLS certificate of ${tap.host} cannot be verified`));
    assert.match(c.stderr, /pass --dest-tls-verify=false, or --dest-cert-dir DIR with its CA certificate in DIR\/ca\.crt/);
    const after = tap.counts();
    assert.equal(after.plain - before.plain, 0, 'no plain-HTTP connection to the TLS registry');
    assert.ok(after.tls > before.tls, 'the TLS registry was tried');
  });

  test('the same registry with its CA in certs-dir (config) or --dest-cert-dir (copy)', async () => {
    const before = tap.counts();
    const root = join(dir, 'certs.d');
    const tapDir = await layoutCertsDir(root, tap.host, tls.pki!, { client: false }); // <root>/127.0.0.1:PORT/ca.crt
    const r = await sync(await config('cadir', '', `skopeo:\n  certs-dir: ${root}\n`));
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    assert.equal(await digestOf(tls, 'cadir/app', 'v1'), image.digest);
    const c = await copy(`--dest-cert-dir=${tapDir}`, `docker://${plain.host}/team/app:v1`, `docker://${tap.host}/cadir-copy/app:v1`);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await digestOf(tls, 'cadir-copy/app', 'v1'), image.digest);
    assert.equal(tap.counts().plain - before.plain, 0);
  });
});
