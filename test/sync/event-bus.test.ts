/** The run's event bus: a listener that throws is reported once, and breaks neither the run nor the others. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../src/log/logger.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';

function recorder(): { lines: { obj: Record<string, unknown>; msg?: string }[]; logger: Logger } {
  const lines: { obj: Record<string, unknown>; msg?: string }[] = [];
  const logger: Logger = {
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (obj, msg) => void lines.push({ obj: obj as Record<string, unknown>, ...(msg !== undefined ? { msg } : {}) }),
    child: () => logger,
  };
  return { lines, logger };
}

test('a throwing listener is logged once, by name, with its error; it and the listeners after it keep being called', () => {
  const { lines, logger } = recorder();
  const bus = new SyncEventBus({ logger });
  let calls = 0;
  const after: SyncEvent['type'][] = [];
  bus.on(() => {
    calls++;
    throw new Error('cannot render: width is NaN');
  }, 'progress');
  bus.on((e) => void after.push(e.type), 'run report');
  assert.doesNotThrow(() => {
    bus.emit({ type: 'scheduler-started' });
    bus.emit({ type: 'task-started', task: 'hub', at: 0 });
    bus.emit({ type: 'scheduler-stopped' });
  });
  assert.equal(calls, 3, 'the failing listener still hears every event');
  assert.deepEqual(after, ['scheduler-started', 'task-started', 'scheduler-stopped']);
  assert.equal(lines.length, 1, 'reported once, not once per event');
  assert.deepEqual(lines[0]?.obj, { listener: 'progress', event: 'scheduler-started', error: 'cannot render: width is NaN' });
  assert.match(lines[0]?.msg ?? '', /event listener "progress" failed on a scheduler-started event: cannot render: width is NaN/);
  assert.deepEqual(bus.failures(), { progress: 3 });
});

test('a listener without a name is named by its function; one removed is no longer called', () => {
  const { lines, logger } = recorder();
  const bus = new SyncEventBus({ logger });
  const off = bus.on(function statusPage() {
    throw new TypeError('boom');
  });
  bus.emit({ type: 'scheduler-started' });
  off();
  bus.emit({ type: 'scheduler-started' });
  assert.deepEqual(lines.map((l) => l.obj.listener), ['statusPage']);
  assert.deepEqual(bus.failures(), {});
});

test('every error of a failing listener is counted in /metrics, by listener', async () => {
  const { logger } = recorder();
  const bus = new SyncEventBus({ logger });
  const { RunProjection } = await import('../../src/sync/run-projection.js');
  const { createMetrics, METRIC } = await import('../../src/server/metrics.js');
  const metrics = createMetrics(new RunProjection(bus), { processMetrics: false });
  bus.on(() => {
    throw new Error('broken view');
  }, 'progress');
  assert.doesNotMatch(await metrics.render(), new RegExp(`^${METRIC.listenerErrors}\\{`, 'm'));
  bus.emit({ type: 'scheduler-started' });
  bus.emit({ type: 'scheduler-stopped' });
  assert.match(await metrics.render(), new RegExp(`^${METRIC.listenerErrors}\\{listener="progress"\\} 2$`, 'm'));
  metrics.detach();
});
