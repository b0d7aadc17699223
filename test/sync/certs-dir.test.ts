/**
 * `skopeo.certs-dir` from a dregsy config against a real TLS registry with a self-signed CA: the per-host
 * directory is found named as docker does (`host:port`) or as dregsy passes it (host without port).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';
import { ferry } from '../cli/helpers.js';

async function sync(root: string, src: { host: string; url: string }, dst: { host: string; url: string }): Promise<{ code: number; out: string }> {
  const cfg = join(await mkdtemp(join(tmpdir(), 'ferry-certs-cfg-')), 'config.yaml');
  await writeFile(
    cfg,
    [
      'skopeo:',
      `  certs-dir: ${root}`,
      'registries:',
      `  '${dst.host}': { endpoint: '${dst.url}' }`,
      'tasks:',
      '  - name: tls',
      `    source: { registry: '${src.host}' }`,
      `    target: { registry: '${dst.host}' }`,
      '    mappings:',
      '      - { from: app, to: app, tags: [v1] }',
    ].join('\n'),
  );
  const r = await ferry(['sync', '--config', cfg, '--once'], { LOG_LEVEL: 'info' });
  return { code: r.code, out: r.stdout + r.stderr };
}

describe('certs-dir', () => {
  test('the CA is found under <root>/<host:port> and under <root>/<host>', async () => {
    const src = await registry();
    const dst = await registry({ tls: true });
    await pushImage(src, 'app', 'v1', makeImage({ kind: 'oci', layers: [500], seed: 'certs' }));
    const root = await mkdtemp(join(tmpdir(), 'ferry-certs-root-'));
    const none = await sync(root, src, dst);
    assert.equal(none.code, 1, 'without the CA the self-signed certificate is refused');
    assert.match(none.out, new RegExp(`the TLS certificate of ${dst.host} cannot be verified .* or put its CA certificate in ${root}/${dst.host}/ca\\.crt`));
    await dst.certsDir(root); // docker layout: <root>/127.0.0.1:PORT/ca.crt
    assert.deepEqual(await readdir(root), [dst.host]);
    const docker = await sync(root, src, dst);
    assert.equal(docker.code, 0, docker.out);
    const dregsyRoot = await mkdtemp(join(tmpdir(), 'ferry-certs-dregsy-'));
    await mkdir(join(dregsyRoot, '127.0.0.1'));
    await rename(join(root, dst.host, 'ca.crt'), join(dregsyRoot, '127.0.0.1', 'ca.crt'));
    const dregsy = await sync(dregsyRoot, src, dst);
    assert.equal(dregsy.code, 0, dregsy.out);
  });
});
