import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import type { TaskConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeClock } from '../../src/clock.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { SyncEventBus, type SyncEvent, type TaskRunSummary } from '../../src/sync/run-events.js';

function tasks(specs: Array<{ name: string; interval: number }>): TaskConfig[] {
  const yaml = `tasks:\n${specs
    .map((s) => `  - name: ${s.name}\n    interval: ${s.interval}\n    source: {registry: src.example.com, auth: none}\n    target: {registry: dst.example.com, auth: none}\n    mappings: [{from: a/b, tags: [v1]}]`)
    .join('\n')}\n`;
  return [...parseConfig(yaml, 'test.yaml').config.tasks];
}

/** A fake task body: each run takes `durations[name]` ms of fake time (or waits to be aborted). */
function fakeRunner(clock: FakeClock, durations: Record<string, number>, fail: Set<string> = new Set()) {
  const runs: Array<{ task: string; start: number; end?: number; aborted?: boolean }> = [];
  const run = async (t: TaskConfig, signal: AbortSignal): Promise<TaskRunSummary> => {
    const rec: { task: string; start: number; end?: number; aborted?: boolean } = { task: t.name, start: clock.now() };
    runs.push(rec);
    try {
      await clock.sleep(durations[t.name] ?? 0, signal);
    } catch {
      rec.aborted = true;
    }
    rec.end = clock.now();
    return { task: t.name, startedAt: rec.start, finishedAt: rec.end, copied: 0, upToDate: 0, failed: fail.has(t.name) ? 1 : 0, skipped: 0, bytes: 0, pulls: 0, ok: !fail.has(t.name) };
  };
  return { runs, run };
}

describe('Scheduler (FakeClock, no sleeping)', () => {
  test('one-off tasks run once, concurrently; done resolves with the failures', async () => {
    const clock = new FakeClock(0);
    const ts = tasks([{ name: 'a', interval: 0 }, { name: 'b', interval: 0 }]);
    const { runs, run } = fakeRunner(clock, { a: 1000, b: 1000 }, new Set(['b']));
    const s = new Scheduler({ tasks: ts, run, clock, bus: new SyncEventBus(), logger: silentLogger });
    const done = s.start();
    await clock.advance(0);
    assert.equal(runs.length, 2, 'both started at once (dregsy would serialise)');
    await clock.advance(1000);
    const r = await done;
    assert.deepEqual(r.failed, ['b']);
    assert.deepEqual(runs.map((x) => [x.task, x.start, x.end]), [['a', 0, 1000], ['b', 0, 1000]]);
  });

  test('periodic: first run at start, then every interval at a fixed rate', async () => {
    const clock = new FakeClock(0);
    const { runs, run } = fakeRunner(clock, { p: 5_000 });
    const s = new Scheduler({ tasks: tasks([{ name: 'p', interval: 60 }]), run, clock, bus: new SyncEventBus(), logger: silentLogger });
    void s.start();
    await clock.advance(180_000);
    assert.deepEqual(runs.map((r) => r.start), [0, 60_000, 120_000, 180_000]);
    await s.stop();
  });

  test('never overlaps itself, and skips a tick that fires too soon (< interval/2 after the previous end)', async () => {
    const clock = new FakeClock(0);
    const bus = new SyncEventBus();
    const events: SyncEvent[] = [];
    bus.on((e) => events.push(e));
    // runs take 80 s with a 60 s interval: the tick at 60 s finds it running; the run ends at 80 s,
    // the tick at 120 s is 40 s later (>= 30 s), so it runs; it ends at 200 s; the tick at 180 s finds it running;
    // the tick at 240 s is only 40 s after 200 s: runs.
    const { runs, run } = fakeRunner(clock, { p: 80_000 });
    const s = new Scheduler({ tasks: tasks([{ name: 'p', interval: 60 }]), run, clock, bus, logger: silentLogger });
    void s.start();
    await clock.advance(250_000);
    assert.deepEqual(runs.map((r) => r.start), [0, 120_000, 240_000]);
    const skipped = events.flatMap((e) => (e.type === 'task-skipped' ? [e.reason] : []));
    assert.deepEqual(skipped, ['previous run still going', 'previous run still going']);
    await s.stop();
  });

  test("dregsy's too-soon rule: a run ending just before a tick skips that tick", async () => {
    const clock = new FakeClock(0);
    const bus = new SyncEventBus();
    const skipped: string[] = [];
    bus.on((e) => void (e.type === 'task-skipped' && skipped.push(`${clock.now()}:${e.reason}`)));
    const { runs, run } = fakeRunner(clock, { p: 50_000 });
    const s = new Scheduler({ tasks: tasks([{ name: 'p', interval: 60 }]), run, clock, bus, logger: silentLogger });
    void s.start();
    await clock.advance(125_000);
    // run 0–50 s; tick at 60 s is 10 s after the end (< 30 s): too soon; tick at 120 s runs
    assert.deepEqual(runs.map((r) => r.start), [0, 120_000]);
    assert.deepEqual(skipped, ['60000:fired too soon']);
    await s.stop();
  });

  test('stop() aborts in-flight runs and waits for them; tasks with different intervals run side by side', async () => {
    const clock = new FakeClock(0);
    const { runs, run } = fakeRunner(clock, { slow: 10_000_000, fast: 1_000 });
    const s = new Scheduler({ tasks: tasks([{ name: 'slow', interval: 3600 }, { name: 'fast', interval: 30 }]), run, clock, bus: new SyncEventBus(), logger: silentLogger });
    void s.start();
    await clock.advance(95_000);
    assert.deepEqual(runs.filter((r) => r.task === 'fast').map((r) => r.start), [0, 30_000, 60_000, 90_000]);
    const result = await s.stop();
    assert.equal(runs.find((r) => r.task === 'slow')?.aborted, true);
    assert.deepEqual(result.failed, []);
    assert.equal(clock.pending, 0, 'no timers left behind');
  });

  test('--once runs periodic tasks once too, then finishes', async () => {
    const clock = new FakeClock(0);
    const { runs, run } = fakeRunner(clock, { p: 10 });
    const s = new Scheduler({ tasks: tasks([{ name: 'p', interval: 3600 }]), run, clock, bus: new SyncEventBus(), logger: silentLogger, once: true });
    const done = s.start();
    await clock.advance(10);
    assert.deepEqual((await done).failed, []);
    assert.equal(runs.length, 1);
  });
});
