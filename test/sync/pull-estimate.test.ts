/**
 * The pull estimate tells the truth: a HEAD says an image is an index but not how many children it has, so the
 * plan counts it as at least two pulls and says "at least"; each copy corrects its count when it reads its
 * manifest; the status page and the run's summary show pulls planned next to pulls spent.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { formatTaskSummary } from '../../src/report/summary.js';
import { reportTaskHead } from '../../src/report/run-report.js';
import { systemClock } from '../../src/clock.js';
import { StatusStore } from '../../src/server/status-store.js';
import { PullTally } from '../../src/sync/pull-tally.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';
import { makeImage, makeIndex, pushImage } from '../harness/images.js';
import { proxy, registry } from '../engine/helpers.js';

test('PullTally: floors say "at least" until each copy reads its manifest; a finished copy counts what it spent', () => {
  const t = new PullTally();
  const index = t.add(2, true); // an index, children unknown
  const single = t.add(1, false);
  const notAsked = t.add(1, true); // the source was not asked: one at least
  assert.deepEqual([t.planned, t.atLeast], [4, true]);
  assert.equal(t.known(index, 4), true, 'the index has 3 children');
  assert.deepEqual([t.planned, t.atLeast], [6, true]);
  assert.equal(t.settle(single, 1), false, 'an exact count is not changed by what was spent');
  assert.equal(t.settle(notAsked, 0), true, 'up to date after all: it needed none');
  assert.deepEqual([t.planned, t.atLeast], [5, false]);
  assert.equal(t.settle(index, 2), true, 'two of its children were on the target already');
  assert.equal(t.planned, 3);
});

test('a run corrects its planned pulls as indexes are read; status and summary show planned and spent', async () => {
  const src = await registry();
  const dst = await registry();
  const platforms = ['amd64', 'arm64', 'ppc64le'] as const;
  const index = makeIndex({
    kind: 'oci-index',
    children: platforms.map((architecture) => makeImage({ kind: 'oci', layers: [200], seed: `estimate-${architecture}`, platform: { os: 'linux', architecture } })),
  });
  await pushImage(src, 'lib/app', 'multi', index);
  await pushImage(src, 'lib/app', 'single', makeImage({ kind: 'oci', layers: [200], seed: 'estimate-single' }));
  const { config } = parseConfig(
    `tasks:
  - name: estimate
    source: {registry: ${src.host}, auth: none}
    target: {registry: ${dst.host}, auth: none}
    mappings:
      - {from: lib/app, to: lib/app, tags: [multi, single]}
`,
    'estimate.yaml',
  );
  const bus = new SyncEventBus();
  const events: SyncEvent[] = [];
  bus.on((e) => events.push(e));
  const store = new StatusStore(new RunProjection(bus));
  let during: ReturnType<StatusStore['snapshot']>['tasks'][number]['currentRun'];
  bus.on((e) => {
    if (e.type === 'image-finished') during = store.snapshot().tasks[0]?.currentRun;
  });
  const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus });
  after(() => rt.close());
  const summary = await rt.run(config.tasks[0]!);

  assert.equal(summary.ok, true, JSON.stringify(summary));
  assert.equal(summary.pulls, 5, 'spent: the index, its 3 children, the single image');
  const planned = events.find((e) => e.type === 'task-planned');
  assert.ok(planned?.type === 'task-planned');
  // The plan saw an index (at least 2) and an image (1). Copies start while planning goes on: one may have read
  // the index before the planned line (then it counts 5, exactly).
  const announced = [planned.pullsNeeded, planned.pullsEstimated ?? false];
  assert.ok(JSON.stringify(announced) === '[3,true]' || JSON.stringify(announced) === '[5,false]', `announced ${JSON.stringify(announced)}`);
  assert.deepEqual([summary.pullsPlanned, summary.pullsPlannedAtLeast ?? false], announced, 'the summary sets the planned line next to what was spent');
  const revisions = events.flatMap((e) => (e.type === 'task-pulls' ? [[e.pullsNeeded, e.pullsEstimated ?? false]] : []));
  if (announced[1]) assert.deepEqual(revisions.at(-1), [5, false], 'corrected when the index was read');
  else assert.deepEqual(revisions, []);
  assert.equal(during?.pullsSpent, 5, 'the current run showed the pulls spent as its last image finished');

  const last = store.snapshot().tasks[0]?.lastRun;
  assert.deepEqual([last?.pulls, last?.pullsPlanned, last?.pullsPlannedAtLeast ?? false], [5, ...announced], '/status: spent and planned');
  assert.match(formatTaskSummary(summary), /, 5 pulls \(planned: (at least 3|5)\)$/);
  assert.deepEqual([reportTaskHead(summary).pulls, reportTaskHead(summary).pullsPlanned, reportTaskHead(summary).pullsPlannedAtLeast], [5, ...announced]);
});

test('status store: corrections update the current run; spent pulls add up as images finish', () => {
  const bus = new SyncEventBus();
  const store = new StatusStore(new RunProjection(bus, () => 1_000));
  bus.emit({ type: 'task-started', task: 't', at: 1_000 });
  bus.emit({ type: 'task-planned', task: 't', images: 2, toCopy: 2, pullsNeeded: 3, pullsEstimated: true });
  assert.deepEqual(store.snapshot().tasks[0]?.currentRun?.planned, { images: 2, toCopy: 2, pullsNeeded: 3, pullsEstimated: true });
  bus.emit({ type: 'task-pulls', task: 't', pullsNeeded: 5 });
  bus.emit({ type: 'image-finished', report: { task: 't', mapping: 0, source: 's:1', target: 't:1', action: 'copied', bytes: 1, durationMs: 1, pulls: 4 } });
  const run = store.snapshot().tasks[0]?.currentRun;
  assert.deepEqual([run?.planned, run?.pullsSpent], [{ images: 2, toCopy: 2, pullsNeeded: 5 }, 4]);
  bus.emit({ type: 'task-finished', summary: { task: 't', startedAt: 1_000, finishedAt: 2_000, copied: 1, upToDate: 0, failed: 0, skipped: 1, bytes: 1, pulls: 4, pullsPlanned: 5, pullsPlannedAtLeast: true, ok: true } });
  const last = store.snapshot().tasks[0]?.lastRun;
  assert.deepEqual([last?.pulls, last?.pullsPlanned, last?.pullsPlannedAtLeast], [4, 5, true]);
  assert.match(formatTaskSummary({ task: 't', startedAt: 0, finishedAt: 1, copied: 1, upToDate: 0, failed: 0, skipped: 1, bytes: 0, pulls: 4, pullsPlanned: 5, pullsPlannedAtLeast: true, ok: true }), /4 pulls \(planned: at least 5\)$/);
});

test('a copy that fails after reading its manifest reports the pulls it spent', async () => {
  const src = await registry();
  const dst = await registry();
  await pushImage(src, 'lib/app', 'v1', makeImage({ kind: 'oci', layers: [300], seed: 'estimate-failed' }));
  // the target refuses every upload: the copy has read the source manifest (a pull) when it fails
  const refusing = await proxy({
    upstream: { url: dst.url },
    onRequest: (req) =>
      req.method === 'POST' && req.url?.includes('/blobs/uploads/')
        ? { respond: (res) => void res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"no uploads"}]}') }
        : 'pass',
  });
  const { config } = parseConfig(
    `tasks:
  - name: refused
    source: {registry: ${src.host}, auth: none}
    target: {registry: ${refusing.host}, auth: none}
    mappings:
      - {from: lib/app, to: lib/app, tags: [v1]}
`,
    'refused.yaml',
  );
  const bus = new SyncEventBus();
  const reports: number[] = [];
  bus.on((e) => void (e.type === 'image-finished' && e.report.action === 'failed' && reports.push(e.report.pulls)));
  const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus });
  after(() => rt.close());
  const summary = await rt.run(config.tasks[0]!);
  assert.equal(summary.failed, 1, JSON.stringify(summary));
  assert.deepEqual(reports, [1], 'the failed image reports its manifest GET');
  assert.equal(summary.pulls, 1, 'the summary counts what Docker Hub would have counted');
});
