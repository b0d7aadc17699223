/**
 * What docs/operations.md and docs/configuration.md promise, checked against the built CLI: every exit code in the
 * exit-code table (and only those) comes out of a real invocation and is in src/cli/exit-codes.ts; the run report
 * has exactly the fields of the documented example, with `reason` as documented; a task left out by `--task` has
 * its metric series at 0; LOG_METHODS names the real caller in the bundled CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.js';
import { makeImage, pushImage } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { onCleanup, registry } from '../engine/helpers.js';
import { BIN, ferry, jsonLines } from './helpers.js';

const DOCS = join(import.meta.dirname, '../../docs');

/** The rows of the first markdown table after `heading` in a doc: cells of each body row. */
async function tableAfter(doc: string, heading: string): Promise<string[][]> {
  const text = await readFile(join(DOCS, doc), 'utf8');
  const start = text.indexOf(heading);
  assert.ok(start >= 0, `${doc} has "${heading}"`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** The JSON example under `## Run report` in docs/operations.md. */
async function documentedReport(): Promise<{ top: Record<string, unknown>; task: Record<string, unknown>; image: Record<string, unknown> }> {
  const text = await readFile(join(DOCS, 'operations.md'), 'utf8');
  const section = text.slice(text.indexOf('## Run report'));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const top = JSON.parse(json.replace(/"…"/g, '""').replace(/"sha256:…"/g, '"sha256:x"')) as Record<string, unknown> & { tasks: Array<Record<string, unknown> & { images: Record<string, unknown>[] }> };
  const task = top.tasks[0]!;
  return { top, task, image: task.images[0]! };
}

async function freePort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('the docs keep their promises', () => {
  let src: RegistryHandle;
  let dst: RegistryHandle;
  let dir: string;

  before(async () => {
    [src, dst] = await Promise.all([registry(), registry()]);
    dir = await mkdtemp(join(tmpdir(), 'ferry-docs-'));
    await pushImage(src, 'team/app', '1.0.0', makeImage({ kind: 'oci', layers: [64], seed: 'docs-app' }));
  });

  const write = async (name: string, text: string): Promise<string> => {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  };
  const task = (name: string, to: string, tags: string, interval = 0): string =>
    `  - name: ${name}\n    interval: ${interval}\n    source: {registry: '${src.host}', auth: none}\n    target: {registry: '${dst.host}', auth: none}\n    mappings: [{from: team/app, to: ${to}, tags: [${tags}]}]\n`;

  test('every exit code in the table comes out of a real invocation, and the table is src/cli/exit-codes.ts', async () => {
    const rows = await tableAfter('operations.md', '### Exit codes');
    const documented = rows.map((r) => Number(r[0]));
    assert.deepEqual(documented, [...new Set(Object.values(EXIT))].sort(), 'the table lists exactly the codes in EXIT');
    const good = await write('good.yaml', `tasks:\n${task('plan-me', 'docs/plan', "'1.0.0'")}`);
    const bad = await write('bad.yaml', `tasks:\n${task('bad', 'docs/bad', "'1.0.0'", 10)}`);
    const inUse = await freePort();
    onCleanup(() => new Promise<void>((resolve) => inUse.server.close(() => resolve())));
    const cases: Array<[number, string, string[]]> = [
      [0, 'a valid config', ['validate', '--config', good]],
      [0, 'help', ['help']],
      [1, 'an invalid config', ['validate', '--config', bad]],
      [1, 'an invalid config, dregsy form', [`-config=${bad}`, '-once']],
      [1, 'a missing config file', [`-config=${join(dir, 'absent.yaml')}`]],
      [1, 'bad flags of the dregsy form', [`-config=${good}`, '-bogus']],
      [1, 'bad flags of validate', ['validate', '--bogus']],
      [2, 'no arguments', []],
      [2, 'an unknown command', ['frobnicate']],
      [2, 'bad arguments to ferry copy', ['copy', 'only-one-image']],
      [2, 'a malformed --listen address', ['sync', '--config', good, '--once', '--listen', 'not an address']],
      [2, 'a --listen address in use', ['sync', '--config', good, '--once', '--listen', `127.0.0.1:${inUse.port}`]],
      [2, '--listen-host without --listen', ['sync', '--config', good, '--once', '--listen-host', 'ferry.example.com']],
      [2, 'an unreadable --listen-token-file', ['sync', '--config', good, '--once', '--listen', '127.0.0.1:0', '--listen-token-file', join(dir, 'absent-token')]],
      [2, 'bad arguments to ferry list-tags', ['list-tags']],
      [3, 'plan finds drift', ['plan', '--config', good]],
    ];
    for (const [code, why, argv] of cases) {
      const r = await ferry(argv);
      assert.equal(r.code, code, `${why}: ferry ${argv.join(' ')}\n${r.stdout}${r.stderr}`);
    }
    assert.deepEqual([...new Set(cases.map(([c]) => c))].sort(), documented, 'each documented code was produced');
  });

  test('the run report has the documented fields; reason as documented for copied, up-to-date and failed images', async () => {
    const doc = await documentedReport();
    const f = await write('report.yaml', `tasks:\n${task('hub', 'docs/report', "'1.0.0', 'no-such-tag'")}`);
    const reportFile = join(dir, 'report.json');
    const env = { LOG_METHODS: 'true', LOG_FORMAT: 'json' };
    const first = await ferry(['sync', '--config', f, '--once', '--report', reportFile], env);
    assert.equal(first.code, 1, 'a missing tag fails the run');
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as Record<string, unknown> & { tasks: Array<Record<string, unknown> & { images: Array<Record<string, unknown>> }> };
    assert.deepEqual(Object.keys(report).sort(), Object.keys(doc.top).sort(), 'top-level fields');
    const t = report.tasks[0]!;
    assert.deepEqual(Object.keys(t).sort(), Object.keys(doc.task).sort(), 'task fields');
    for (const i of t.images) assert.deepEqual(Object.keys(i).sort(), Object.keys(doc.image).sort(), 'image fields');
    const copied = t.images.find((i) => i.action === 'copied');
    const failed = t.images.find((i) => i.action === 'failed');
    assert.ok(copied && failed, JSON.stringify(t.images));
    assert.equal(doc.image.action, 'copied');
    assert.equal(copied.reason, doc.image.reason, 'a copied image gives the documented reason');
    assert.deepEqual([copied.error, copied.errorCode], [null, null]);
    assert.equal(failed.reason, null, 'a failed image has no reason');
    assert.equal(typeof failed.error, 'string');

    // LOG_METHODS in the bundled CLI: each line names the function in ferry's source that logged it.
    const callers = jsonLines(first.stdout).map((l) => String(l.caller));
    assert.ok(callers.length > 3, first.stdout);
    for (const c of callers) assert.match(c, /^[\w.$<>]+ \([\w/.-]+\.ts:\d+\)$/, `caller "${c}"`);
    assert.ok(callers.some((c) => c.startsWith('runTask (sync/task-runner.ts:')), callers.join('\n'));

    const second = await ferry(['sync', '--config', f, '--once', '--report', reportFile]);
    assert.equal(second.code, 1);
    const again = JSON.parse(await readFile(reportFile, 'utf8')) as typeof report;
    const upToDate = again.tasks[0]!.images.find((i) => i.action === 'up-to-date');
    assert.match(String(upToDate?.reason), /up to date/, 'an up-to-date image says how ferry knew');
  });

  test('a task left out by --task has its metric series at 0 from the start', async () => {
    const f = await write('two.yaml', `tasks:\n${task('picked', 'docs/picked', "'1.0.0'", 3600)}${task('left-out', 'docs/left', "'1.0.0'", 3600)}`);
    const { port, server } = await freePort();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const child = spawn(process.execPath, [BIN, 'sync', '--config', f, '--task', 'picked', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    const waiting = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/waiting for next sync task/.test(out)) resolve();
      }),
    );
    await Promise.race([waiting, exited]);
    assert.match(out, /waiting for next sync task/);
    try {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const name of ['ferry_images_copied_total', 'ferry_images_up_to_date_total', 'ferry_images_failed_total', 'ferry_images_skipped_total', 'ferry_bytes_transferred_total', 'ferry_source_pulls_total']) {
        assert.match(metrics, new RegExp(`^${name}\\{task="left-out"\\} 0$`, 'm'), `${name} for the task left out`);
        assert.match(metrics, new RegExp(`^${name}\\{task="picked"\\} `, 'm'), `${name} for the task selected`);
      }
      assert.match(metrics, /^ferry_copies_in_flight\{task="left-out"\} 0$/m);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, 'stopped by SIGTERM: exit 0');
  });
});
