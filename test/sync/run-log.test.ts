/** The run log: one more subscriber of the bus, writing the budget's lines and each run's closing line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../src/log/logger.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { attachRunLog } from '../../src/sync/run-log.js';
import { image, summary } from '../server/synthetic.js';

function recorder(): { lines: { level: string; obj: Record<string, unknown>; msg?: string }[]; logger: Logger } {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const mk = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, ...(msg !== undefined ? { msg } : {}) });
  const logger: Logger = { trace: mk('trace'), debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error'), child: (b) => ({ ...logger, info: (o, m) => mk('info')({ ...b, ...o }, m), error: (o, m) => mk('error')({ ...b, ...o }, m) }) };
  return { lines, logger };
}

test("a run's closing line: counts and planned pulls as fields, error level when it failed", () => {
  const { lines, logger } = recorder();
  const bus = new SyncEventBus();
  const off = attachRunLog(bus, logger);
  bus.emit({ type: 'task-finished', summary: summary('hub', 0, 1500, [image('hub', 0, 'copied'), image('hub', 1, 'up-to-date')], { filteredOut: 4, pullsPlanned: 1 }) });
  bus.emit({ type: 'task-finished', summary: summary('quay', 0, 10, [image('quay', 0, 'failed')]) });
  off();
  bus.emit({ type: 'task-finished', summary: summary('late', 0, 1, []) });
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      ['info', 'task done: 1 copied, 1 up to date, 0 failed'],
      ['error', 'task had errors: 0 copied, 0 up to date, 1 failed'],
    ],
  );
  assert.deepEqual(lines[0]?.obj, { task: 'hub', copied: 1, upToDate: 1, failed: 0, skipped: 0, filteredOut: 4, bytes: 1000, pulls: 1, pullsPlanned: 1, durationMs: 1500 });
});
