/** The task runner streams: copies start while later repositories are still being planned, and the planner waits for the copies. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/clock.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { WorkQueue } from '../../src/sync/work-queue.js';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';
import { tagsOf } from '../cli/helpers.js';

describe('streamed task runs', () => {
  test('the first copy starts before planning ends; every image is copied once; the planned totals come at the end', async () => {
    const src = await registry();
    const dst = await registry();
    // more repositories than the planner's 8 slots: the last ones cannot be planned before the first are handed on
    const repos = Array.from({ length: 12 }, (_, i) => `stream/r${String(i).padStart(2, '0')}`);
    for (const [i, repo] of repos.entries()) {
      await pushImage(src, repo, 'v1', makeImage({ kind: 'docker', layers: [300], seed: `stream-${i}` }));
      await pushImage(src, repo, 'v2', makeImage({ kind: 'docker', layers: [300], seed: `stream-${i}-2` }));
    }
    const yaml = `tasks:
  - name: stream
    source: {registry: ${src.host}, auth: none}
    target: {registry: ${dst.host}, auth: none}
    mappings:
${repos.map((r) => `      - {from: ${r}, to: ${r}}`).join('\n')}
`;
    const { config } = parseConfig(yaml, 'stream.yaml');
    const bus = new SyncEventBus();
    const events: SyncEvent[] = [];
    bus.on((e) => events.push(e));
    const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus, imageConcurrency: 2 });
    after(() => rt.close());
    const summary = await rt.run(config.tasks[0]!);
    assert.equal(summary.ok, true, JSON.stringify(summary));
    assert.equal(summary.copied, 24);
    const firstStart = events.findIndex((e) => e.type === 'image-started');
    const planned = events.findIndex((e) => e.type === 'task-planned');
    assert.ok(firstStart >= 0 && planned > firstStart, `image-started at ${firstStart}, task-planned at ${planned}`);
    const p = events[planned];
    assert.deepEqual(p?.type === 'task-planned' && [p.images, p.toCopy, p.pullsNeeded], [24, 24, 24]);
    const started = events.flatMap((e) => (e.type === 'image-started' ? [e.target] : []));
    assert.equal(new Set(started).size, 24, 'each image copied exactly once');
    for (const repo of repos) assert.deepEqual(await tagsOf(dst, repo), ['v1', 'v2']);
    // the second run: HEADs only, everything up to date, in the same streamed way
    const again = await rt.run(config.tasks[0]!);
    assert.deepEqual([again.copied, again.upToDate, again.failed], [0, 24, 0]);
  });
});

describe('WorkQueue', () => {
  test('runs N at a time, accepts at most its capacity, and drains', async () => {
    const q = new WorkQueue(2, 3);
    let running = 0;
    let maxRunning = 0;
    const gates: Array<() => void> = [];
    const job = (): Promise<void> =>
      new Promise<void>((resolve) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        gates.push(() => {
          running--;
          resolve();
        });
      });
    await q.push(job);
    await q.push(job);
    await q.push(job);
    assert.equal(q.size, 3);
    let fourthAccepted = false;
    const fourth = q.push(job).then(() => (fourthAccepted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(fourthAccepted, false, 'a full queue holds the producer back');
    assert.equal(gates.length, 2, 'only two jobs run at once');
    gates.shift()!();
    await fourth;
    assert.equal(fourthAccepted, true);
    const drained = q.drain();
    while (q.size > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await drained;
    assert.equal(maxRunning, 2);
  });

  test('a failing job neither rejects push nor drain; an abort while waiting for room rejects push', async () => {
    const q = new WorkQueue(1, 1);
    let release!: () => void;
    await q.push(() => new Promise<void>((_, reject) => (release = () => reject(new Error('boom')))));
    const ac = new AbortController();
    const waiting = q.push(async () => undefined, ac.signal);
    ac.abort();
    await assert.rejects(waiting, (e: { code?: string }) => e.code === 'ABORTED');
    release();
    await q.drain();
    assert.equal(q.size, 0);
  });
});
