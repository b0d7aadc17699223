/** A real run seen through every view of the one projection: the summary, /status, /metrics and the report agree. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/clock.js';
import { attachRunReport } from '../../src/report/run-report.js';
import { createMetrics, METRIC } from '../../src/server/metrics.js';
import { StatusStore } from '../../src/server/status-store.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';
import { parseMetrics } from '../server/ops.js';

test('a repository that cannot be listed fails the run in every view; the image counters count images only', async () => {
  const src = await registry();
  const dst = await registry();
  await pushImage(src, 'lib/app', 'v1', makeImage({ kind: 'docker', layers: [200], seed: 'views-agree' }));
  const { config } = parseConfig(
    `tasks:
  - name: views
    source: {registry: ${src.host}, auth: none}
    target: {registry: ${dst.host}, auth: none}
    mappings:
      - {from: lib/app, to: lib/app}
      - {from: lib/never-pushed, to: lib/never-pushed}
`,
    'views.yaml',
  );
  const bus = new SyncEventBus();
  const projection = new RunProjection(bus);
  const store = new StatusStore(projection);
  const metrics = createMetrics(projection, { processMetrics: false });
  const report = attachRunReport({ projection });
  const events: SyncEvent[] = [];
  bus.on((e) => events.push(e));
  const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus });
  after(() => rt.close());
  const summary = await rt.run(config.tasks[0]!);

  assert.deepEqual([summary.copied, summary.failed, summary.ok], [1, 1, false], JSON.stringify(summary));
  const listing = events.find((e) => e.type === 'listing-failed');
  assert.ok(listing?.type === 'listing-failed' && listing.mapping === 1 && listing.what === 'repository', JSON.stringify(listing));
  const last = store.snapshot().tasks[0]?.lastRun;
  assert.deepEqual([last?.copied, last?.failed, last?.bytes, last?.pulls, last?.result], [summary.copied, summary.failed, summary.bytes, summary.pulls, 'failed']);
  const head = report.report().tasks[0];
  assert.deepEqual([head?.copied, head?.failed, head?.bytes, head?.pulls], [summary.copied, summary.failed, summary.bytes, summary.pulls]);
  const m = parseMetrics(await metrics.render());
  assert.deepEqual(
    [m.get(`${METRIC.imagesCopied}{task="views"}`), m.get(`${METRIC.imagesFailed}{task="views"}`), m.get(`${METRIC.bytes}{task="views"}`), m.get(`${METRIC.taskRuns}{task="views",result="failed"}`)],
    [1, 0, summary.bytes, 1],
  );
  assert.ok(summary.bytes > 0);
  metrics.detach();
  await report.close();
});
