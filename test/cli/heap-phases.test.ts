/**
 * The CLI hands its run's events to the heap policy bin/ferry.js passes in (followTransfers): `ferry sync` and
 * `ferry copy` loosen the growth cap when a blob transfer starts and `sync` restores it when the task finishes.
 * In-process `main` with a recording policy, against real registries.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { DEFAULT_HEAP_GROWTH_PERCENT, followTransfers, TRANSFER_HEAP_GROWTH_PERCENT, type TransferEvents } from '../../src/cli/heap-tuning.js';
import { main } from '../../src/cli/main.js';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';

const TIGHT = `--heap-growing-percent=${DEFAULT_HEAP_GROWTH_PERCENT}`;
const LOOSE = `--heap-growing-percent=${TRANSFER_HEAP_GROWTH_PERCENT}`;

async function run(argv: string[]): Promise<{ code: number; flags: string[]; output: string }> {
  const flags: string[] = [];
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => void (output += d.toString('utf8')));
  const heapPhases = (bus: TransferEvents): (() => void) => followTransfers(bus, {}, (f) => void flags.push(f));
  const code = await main(argv, { out: sink, err: sink, heapPhases });
  return { code, flags, output };
}

test('ferry sync loosens the heap for a run that moves blobs and tightens it after; a no-op run leaves it', async () => {
  const [src, dst] = await Promise.all([registry(), registry()]);
  await pushImage(src, 'team/app', '1.0', makeImage({ kind: 'docker', layers: [4096, 2048], seed: 'heap-phases' }));
  const dir = await mkdtemp(join(tmpdir(), 'ferry-heap-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `registries:\n  ${src.host}: { endpoint: '${src.url}' }\n  ${dst.host}: { endpoint: '${dst.url}' }\ntasks:\n  - name: mirror\n    source: { registry: '${src.host}' }\n    target: { registry: '${dst.host}' }\n    mappings:\n      - { from: team/app, to: mirror/app }\n`,
  );
  const cold = await run(['sync', '--config', config, '--once']);
  assert.equal(cold.code, 0, cold.output);
  assert.deepEqual(cold.flags, [LOOSE, TIGHT]);
  const noop = await run(['sync', '--config', config, '--once']);
  assert.equal(noop.code, 0, noop.output);
  assert.deepEqual(noop.flags, [], 'nothing to transfer: the tight cap stays');
});

test('ferry copy loosens the heap when its first blob starts', async () => {
  const [src, dst] = await Promise.all([registry(), registry()]);
  await pushImage(src, 'team/tool', '2.0', makeImage({ kind: 'oci', layers: [1024], seed: 'heap-copy' }));
  const r = await run(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src.host}/team/tool:2.0`, `docker://${dst.host}/mirror/tool:2.0`]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /copied/);
  assert.deepEqual(r.flags, [LOOSE]);
});
