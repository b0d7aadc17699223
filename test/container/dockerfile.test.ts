/**
 * The container image without a Docker engine: the Dockerfile is parsed, and its exact ENTRYPOINT + CMD run
 * against a temp config with a one-off task on local registries (only /app and /config.yaml are mapped to this
 * checkout and a temp file, and the port to a free one). The HEALTHCHECK's
 * /healthz itself is covered by test/server/http-server.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';
import { digestOf } from '../cli/helpers.js';

const ROOT = join(import.meta.dirname, '../..');

interface Dockerfile {
  stages: string[];
  instructions: { cmd: string; args: string; stage: number }[];
}

function parseDockerfile(text: string): Dockerfile {
  const joined = text.replace(/\\\n/g, ' ');
  const instructions: Dockerfile['instructions'] = [];
  const stages: string[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `not an instruction: ${line}`);
    if (m[1] === 'FROM') stages.push(m[2]!);
    instructions.push({ cmd: m[1]!, args: m[2]!, stage: stages.length - 1 });
  }
  return { stages, instructions };
}

const execForm = (s: string): string[] => {
  const v = JSON.parse(s) as unknown;
  assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `exec form expected: ${s}`);
  return v as string[];
};

describe('container image', () => {
  test('Dockerfile: multi-stage on node 20, non-root, certs dir, healthcheck on /healthz, dregsy-compatible command', async () => {
    const df = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.equal(df.stages.length, 2);
    for (const s of df.stages) assert.match(s, /^node:20-(alpine|slim)\b/);
    const last = df.stages.length - 1;
    const run = (stage: number) => df.instructions.filter((i) => i.stage === stage && i.cmd === 'RUN').map((i) => i.args).join('\n');
    assert.match(run(0), /npm ci/);
    assert.match(run(0), /npm run build/);
    assert.match(run(last), /npm ci --omit=dev/);
    assert.match(run(last), /\/etc\/skopeo\/certs\.d/);
    const user = df.instructions.filter((i) => i.stage === last && i.cmd === 'USER');
    assert.ok(user.length === 1 && user[0]!.args !== 'root' && user[0]!.args !== '0', 'runs as a non-root user');
    const one = (cmd: string) => df.instructions.filter((i) => i.cmd === cmd).at(-1)!.args;
    assert.deepEqual(execForm(one('ENTRYPOINT')), ['node', '/app/bin/ferry.js']);
    const cmd = execForm(one('CMD'));
    assert.equal(cmd[0], '-config=/config.yaml');
    const listen = cmd.find((a) => a.startsWith('-listen='));
    assert.ok(listen, 'the default command serves /healthz for the HEALTHCHECK');
    // a bare port binds loopback only, which a published container port cannot reach: all interfaces must be explicit
    assert.match(listen, /^-listen=(?:0\.0\.0\.0)?:\d+$/, 'the image listens on every interface explicitly');
    const port = listen.split(':').at(-1);
    assert.match(one('HEALTHCHECK'), new RegExp(`http://127\\.0\\.0\\.1:${port}/healthz`));
    const dockerignore = await readFile(join(ROOT, '.dockerignore'), 'utf8');
    for (const p of ['node_modules', 'dist', '.git']) assert.match(dockerignore, new RegExp(`^${p.replace('.', '\\.')}$`, 'm'));
  });

  test('ENTRYPOINT + CMD as the image runs them: a one-off task on local registries exits 0 and writes the report', async () => {
    const df = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    const entry = execForm(df.instructions.filter((i) => i.cmd === 'ENTRYPOINT').at(-1)!.args);
    const cmd = execForm(df.instructions.filter((i) => i.cmd === 'CMD').at(-1)!.args);
    const [src, dst] = await Promise.all([registry(), registry()]);
    const pushed = await pushImage(src, 'team/app', '1.0.0', makeImage({ kind: 'docker', layers: [128], seed: 'container' }));
    const dir = await mkdtemp(join(tmpdir(), 'ferry-container-'));
    const config = join(dir, 'config.yaml');
    const report = join(dir, 'report.json');
    await writeFile(
      config,
      `relay: skopeo
tasks:
  - name: one-off
    interval: 0
    source:
      registry: ${src.host}
      auth: none
    target:
      registry: ${dst.host}
      auth: none
    mappings:
      - from: team/app
        to: mirror/app
        tags: ['1.0.0']
`,
    );
    // the image's paths, mapped onto this checkout; the port onto a free one (the ops server is the same code)
    const argv = [...entry, ...cmd, `-report=${report}`].map((a) =>
      a === '/app/bin/ferry.js' ? join(ROOT, 'bin/ferry.js') : a === '-config=/config.yaml' ? `-config=${config}` : a.startsWith('-listen=') ? '-listen=127.0.0.1:0' : a,
    );
    assert.equal(argv[0], 'node');
    const child = spawn(process.execPath, argv.slice(1), { cwd: '/', env: { ...process.env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stdout + stderr);
    assert.equal(await digestOf(dst, 'mirror/app', '1.0.0'), pushed.digest);
    assert.match(stdout, /"address":"127\.0\.0\.1:\d+"/, 'the ops server started');
    const j = JSON.parse(await readFile(report, 'utf8')) as { ok: boolean; tasks: { task: string; images: { action: string; digest: string; target: string }[] }[] };
    assert.equal(j.ok, true);
    assert.equal(j.tasks[0]?.task, 'one-off');
    assert.equal(j.tasks[0]?.images[0]?.action, 'copied');
    assert.equal(j.tasks[0]?.images[0]?.digest, pushed.digest);
  });
});
