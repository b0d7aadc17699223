/** The --report JSON file and the one-line task summary, from synthetic sync events. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { attachRunReport, type RunReport } from '../../src/report/run-report.js';
import { formatBytes, formatDuration, formatTaskSummary } from '../../src/report/summary.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';
import { D1, emitRun, image, summary } from '../server/synthetic.js';

function recorder(): { lines: { level: string; obj: object; msg: string | undefined }[]; logger: import('../../src/log/logger.js').Logger } {
  const lines: { level: string; obj: object; msg: string | undefined }[] = [];
  const mk = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger = { trace: mk('trace'), debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error'), child: () => logger };
  return { lines, logger };
}

describe('task summary line', () => {
  test('sizes and durations', () => {
    assert.deepEqual([0, 999, 1000, 48_213_000, 123_456_789, 2.5e12].map(formatBytes), ['0 B', '999 B', '1.0 kB', '48.2 MB', '123 MB', '2.5 TB']);
    assert.deepEqual([12, 1500, 65_000, 3_725_000].map(formatDuration), ['12ms', '1.5s', '1m05s', '1h02m']);
  });

  test('copied, up to date, failed, bytes, duration, pulls', () => {
    const s = summary('hub', 0, 65_000, [image('hub', 0, 'copied', { bytes: 48_213_000 }), image('hub', 1, 'up-to-date'), image('hub', 2, 'failed')]);
    assert.equal(formatTaskSummary(s), 'task hub: 1 copied, 1 up to date, 1 failed, 48.2 MB, 1m05s, 1 pull');
    const w = summary('hub', 0, 900, [image('hub', 3, 'skipped')], { error: 'source listing failed: unauthorized' });
    assert.equal(formatTaskSummary(w), 'task hub: 0 copied, 0 up to date, 0 failed, 1 skipped, 0 B, 900ms, 0 pulls; source listing failed: unauthorized');
  });
});

describe('run report', () => {
  test('writes per-image JSON after each task run, keeping the latest run of every task', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    const file = join(dir, 'sub', 'report.json');
    const bus = new SyncEventBus();
    const { lines, logger } = recorder();
    const rep = attachRunReport({ projection: new RunProjection(bus), file, logger, logSummaries: true, now: () => Date.UTC(2025, 0, 2) });
    emitRun(bus, 'hub', Date.UTC(2025, 0, 1, 10), Date.UTC(2025, 0, 1, 10, 1), [
      image('hub', 0, 'copied', { durationMs: 4200 }),
      image('hub', 1, 'failed', { mapping: 2 }),
      image('hub', 2, 'skipped', { reason: 'filtered out by keep' }),
    ]);
    await rep.flush();
    let j = JSON.parse(await readFile(file, 'utf8')) as RunReport;
    assert.equal(j.version, 1);
    assert.equal(j.ok, false);
    assert.equal(j.generatedAt, '2025-01-02T00:00:00.000Z');
    assert.equal(j.tasks.length, 1);
    const t = j.tasks[0]!;
    assert.deepEqual(
      { task: t.task, startedAt: t.startedAt, durationMs: t.durationMs, copied: t.copied, failed: t.failed, skipped: t.skipped, bytes: t.bytes, pulls: t.pulls },
      { task: 'hub', startedAt: '2025-01-01T10:00:00.000Z', durationMs: 60_000, copied: 1, failed: 1, skipped: 1, bytes: 1000, pulls: 1 },
    );
    assert.deepEqual(t.images[0], {
      task: 'hub',
      mapping: 0,
      source: 'docker.io/library/busybox:1.0',
      target: 'harbor.example/mirror/busybox:1.0',
      digest: D1,
      sourceDigest: D1,
      action: 'copied',
      bytes: 1000,
      durationMs: 4200,
      pulls: 1,
      reason: null,
      error: null,
      errorCode: null,
    });
    assert.equal(t.images[1]?.action, 'failed');
    assert.equal(t.images[1]?.error, 'denied: requested access to the resource is denied');
    assert.equal(t.images[1]?.errorCode, 'DENIED');
    assert.equal(t.images[1]?.mapping, 2);
    assert.equal(t.images[2]?.reason, 'filtered out by keep');
    assert.equal(t.images[2]?.error, null);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 'warn');
    assert.match(lines[0]?.msg ?? '', /^task hub: 1 copied, 0 up to date, 1 failed, 1 skipped, 1\.0 kB, 1m00s, 1 pull$/);

    emitRun(bus, 'quay', 0, 10, [image('quay', 0, 'up-to-date')]);
    emitRun(bus, 'hub', 100, 200, [image('hub', 0, 'up-to-date')]);
    await rep.close();
    j = JSON.parse(await readFile(file, 'utf8')) as RunReport;
    assert.deepEqual(j.tasks.map((x) => [x.task, x.images.length, x.ok]), [['hub', 1, true], ['quay', 1, true]]);
    assert.equal(j.ok, true);
    assert.equal(lines.at(-1)?.level, 'info');
    // after close, nothing more is collected
    emitRun(bus, 'late', 0, 1, [image('late', 0, 'copied')]);
    assert.equal(rep.report().tasks.length, 2);
  });

  test('a large run: valid JSON, one image per line (grep-able), images kept as bytes not objects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    const file = join(dir, 'report.json');
    const bus = new SyncEventBus();
    const rep = attachRunReport({ projection: new RunProjection(bus), file, now: () => 0 });
    const many = Array.from({ length: 3000 }, (_, i) => image('big', i, i % 7 === 0 ? 'failed' : 'up-to-date', { reason: i % 7 === 0 ? `bad "quote" ✗ ${i}` : 'already up to date' }));
    emitRun(bus, 'big', 0, 10, many);
    emitRun(bus, 'empty', 0, 1, []);
    await rep.close();
    const text = await readFile(file, 'utf8');
    const j = JSON.parse(text) as RunReport;
    assert.deepEqual(j.tasks.map((t) => [t.task, t.images.length]), [['big', 3000], ['empty', 0]]);
    assert.equal(j.tasks[0]!.images[7]!.error, 'bad "quote" ✗ 7');
    assert.deepEqual(j, rep.report());
    const imageLines = text.split('\n').filter((l) => l.trimStart().startsWith('{"task":"big"'));
    assert.equal(imageLines.length, 3000);
    for (const l of imageLines.slice(0, 5)) assert.doesNotThrow(() => JSON.parse(l.trim().replace(/,$/, '')));
  });

  test('an unwritable report path is logged, not thrown into the sync', async () => {
    const bus = new SyncEventBus();
    const { lines, logger } = recorder();
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    await writeFile(join(dir, 'a-file'), 'x');
    const rep = attachRunReport({ projection: new RunProjection(bus), file: join(dir, 'a-file', 'report.json'), logger });
    emitRun(bus, 'hub', 0, 1, [image('hub', 0, 'copied')]);
    await rep.close();
    assert.ok(lines.some((l) => l.level === 'error' && l.msg === 'cannot write the run report'));
  });

  test('written to a new 0600 file with a random name, never through a planted symlink, then renamed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    const file = join(dir, 'report.json');
    const victim = join(dir, 'victim');
    await writeFile(victim, 'untouched');
    // the names an attacker could predict: the old `<file>.<pid>.tmp` and friends
    for (const name of [`report.json.${process.pid}.tmp`, 'report.json.tmp', '.report.json.tmp']) await symlink(victim, join(dir, name));
    const bus = new SyncEventBus();
    const rep = attachRunReport({ projection: new RunProjection(bus), file, now: () => 0 });
    emitRun(bus, 'hub', 0, 1, [image('hub', 0, 'copied')]);
    emitRun(bus, 'hub', 1, 2, [image('hub', 0, 'up-to-date')]);
    await rep.close();
    assert.equal(await readFile(victim, 'utf8'), 'untouched');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as RunReport).tasks[0]!.images[0]!.action, 'up-to-date');
    const left = (await readdir(dir)).filter((n) => !['report.json', 'victim', `report.json.${process.pid}.tmp`, 'report.json.tmp', '.report.json.tmp'].includes(n));
    assert.deepEqual(left, [], 'no temporary file left behind');
  });

  test('reasons and errors from registries reach the report as one line without control characters', () => {
    const bus = new SyncEventBus();
    const rep = attachRunReport({ projection: new RunProjection(bus), now: () => 0 });
    const hostile = 'HTTP 500 \u001b[2Jboom\nforged: line\u202e';
    const failed = image('hub', 0, 'failed', { reason: hostile });
    bus.emit({ type: 'task-started', task: 'hub', at: 0 });
    bus.emit({ type: 'image-finished', report: failed });
    bus.emit({ type: 'task-finished', summary: summary('hub', 0, 1, [failed], { error: hostile }) });
    const t = rep.report().tasks[0]!;
    assert.equal(t.images[0]!.error, 'HTTP 500 [2Jboom forged: line');
    assert.equal(t.error, 'HTTP 500 [2Jboom forged: line');
  });
});
