/** `ferry copy` as a user runs it (the built CLI in a child process), with skopeo-style flags. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeImage, makeIndex, pushImage } from '../harness/images.js';
import { skopeoEndpointFor, skopeoInspectRaw } from '../harness/skopeo.js';
import { registry } from '../engine/helpers.js';

const BIN = join(import.meta.dirname, '../../bin/ferry.js');

/** Runs the CLI asynchronously: the token server lives in this process and must keep answering. */
function ferry(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('ferry copy', () => {
  test('copies with --src-tls-verify=false, --dest-cert-dir and --dest-creds; second run is up to date', async () => {
    const srcReg = await registry({ tls: true, auth: 'htpasswd' });
    const dstReg = await registry({ tls: true, auth: 'token' });
    const m = makeIndex({ kind: 'docker-list', children: [makeImage({ kind: 'docker', layers: [3000], seed: 'cli-a' }), makeImage({ kind: 'docker', layers: [2000], seed: 'cli-b', platform: { os: 'linux', architecture: 'arm64' } })] });
    await pushImage(srcReg, 'team/app', '2.1', m);
    const certDir = await dstReg.certsDir(await mkdtemp(join(tmpdir(), 'ferry-cli-certs-')));
    const args = [
      'copy',
      '--src-tls-verify=false',
      '--src-creds', `${srcReg.username}:${srcReg.password}`,
      '--dest-cert-dir', certDir,
      '--dest-creds', `${dstReg.username}:${dstReg.password}`,
      `docker://${srcReg.host}/team/app:2.1`,
      `docker://${dstReg.host}/mirror/app:2.1`,
    ];
    const first = await ferry(args);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /mirror\/app:2\.1: copied \(4 blobs copied/);
    assert.match(first.stdout, new RegExp(m.digest));
    assert.deepEqual(await skopeoInspectRaw(`${dstReg.host}/mirror/app:2.1`, await skopeoEndpointFor(dstReg)), m.manifestBytes);
    const second = await ferry(args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /already up to date/);
    assert.doesNotMatch(first.stderr + second.stderr, new RegExp(srcReg.password!));
  });

  test("--platform reads a config's spellings: linux/x86_64 copies the amd64 image, with a warning", async () => {
    const reg = await registry();
    const amd64 = makeImage({ kind: 'oci', layers: [1200], seed: 'cli-x86' });
    const arm64 = makeImage({ kind: 'oci', layers: [1300], seed: 'cli-aarch64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    await pushImage(reg, 'team/multi', 'v1', makeIndex({ kind: 'oci-index', children: [arm64, amd64] }));
    const r = await ferry(['copy', '--platform', 'linux/x86_64', `docker://${reg.host}/team/multi:v1`, `docker://${reg.host}/mirror/multi:v1`]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`mirror/multi:v1: copied .*digest ${amd64.digest}`));
    assert.deepEqual(await skopeoInspectRaw(`${reg.host}/mirror/multi:v1`, await skopeoEndpointFor(reg)), amd64.manifestBytes, 'the tag points at the amd64 image');
    assert.match(r.stderr, /"x86_64", which OCI calls "amd64": ferry reads it as linux\/amd64/);
    const bad = await ferry(['copy', '--platform', 'linux/armhf/v6', `docker://${reg.host}/team/multi:v1`, `docker://${reg.host}/mirror/multi:v2`]);
    assert.equal(bad.code, 2, 'a contradictory spelling is a usage error');
    assert.match(bad.stderr, /"armhf" means arm\/v7; write linux\/arm\/v6 or linux\/arm\/v7/);
  });

  test('usage and user errors: exit 2 for usage, 1 for failures, messages without stacks', async () => {
    const reg = await registry();
    const usage = await ferry(['copy', 'only-one']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /needs exactly two images/);
    const badRef = await ferry(['copy', `${reg.host}/Upper/Case:v1`, `${reg.host}/x:v1`]);
    assert.equal(badRef.code, 1);
    assert.match(badRef.stderr, /invalid repository name "Upper\/Case".*lower case/);
    const missing = await ferry(['copy', `${reg.host}/nothing/here:v1`, `${reg.host}/x:v1`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /source image .*nothing\/here:v1 not found/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
    const help = await ferry(['copy', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--dest-cert-dir/);
  });
});
