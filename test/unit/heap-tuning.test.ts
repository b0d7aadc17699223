/** The CLI's heap policy: a tight growth cap by default, loosened while blobs stream, the operator's value fixed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HEAP_GROWTH_PERCENT, followTransfers, TRANSFER_HEAP_GROWTH_PERCENT, tuneHeap } from '../../src/cli/heap-tuning.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';

const TIGHT = `--heap-growing-percent=${DEFAULT_HEAP_GROWTH_PERCENT}`;
const LOOSE = `--heap-growing-percent=${TRANSFER_HEAP_GROWTH_PERCENT}`;

function recorder(): { set: (f: string) => void; flags: string[] } {
  const flags: string[] = [];
  return { set: (f) => void flags.push(f), flags };
}

const blob = (task: string, type: 'blob-started' | 'blob-progress' = 'blob-started'): SyncEvent => ({
  type: 'copy',
  task,
  mapping: 0,
  source: 's/a:1',
  target: 't/a:1',
  event: type === 'blob-started' ? { type, digest: 'sha256:00', size: 1, repository: 't/a' } : { type, digest: 'sha256:00', bytes: 1, size: 2 },
});
const finished = (task: string): SyncEvent => ({
  type: 'task-finished',
  summary: { task, startedAt: 0, finishedAt: 1, copied: 0, upToDate: 0, failed: 0, skipped: 0, bytes: 0, pulls: 0, ok: true },
});

test('tuneHeap: default growth, an explicit value, 0 to leave V8 alone, and a bad value warned about', async () => {
  const r = recorder();
  assert.equal(tuneHeap({}, r.set), DEFAULT_HEAP_GROWTH_PERCENT);
  assert.equal(tuneHeap({ FERRY_HEAP_GROWTH_PERCENT: '100' }, r.set), 100);
  assert.equal(tuneHeap({ FERRY_HEAP_GROWTH_PERCENT: '0' }, r.set), undefined);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    assert.equal(tuneHeap({ FERRY_HEAP_GROWTH_PERCENT: 'lots' }, r.set), DEFAULT_HEAP_GROWTH_PERCENT);
    await new Promise((res) => setImmediate(res));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(r.flags, [TIGHT, '--heap-growing-percent=100', TIGHT]);
  assert.match(warnings[0] ?? '', /FERRY_HEAP_GROWTH_PERCENT=lots is not a whole number from 0 to 400/);
});

test('followTransfers: loose from the first blob of any task until the last transferring task finishes', () => {
  const bus = new SyncEventBus();
  const r = recorder();
  followTransfers(bus, {}, r.set);
  bus.emit({ type: 'task-started', task: 'a', at: 0 });
  bus.emit(blob('a', 'blob-progress'));
  assert.deepEqual(r.flags, [], 'nothing before a blob transfer starts');
  bus.emit(blob('a'));
  bus.emit(blob('a'));
  bus.emit(blob('b'));
  assert.deepEqual(r.flags, [LOOSE], 'set once, however many blobs and tasks');
  bus.emit(finished('a'));
  assert.deepEqual(r.flags, [LOOSE], 'task b still moves blobs');
  bus.emit(finished('c'));
  assert.deepEqual(r.flags, [LOOSE], 'a task that moved nothing changes nothing');
  bus.emit(finished('b'));
  assert.deepEqual(r.flags, [LOOSE, TIGHT]);
  bus.emit(blob('a'));
  assert.deepEqual(r.flags, [LOOSE, TIGHT, LOOSE], 'the next run of a task loosens again');
});

test('followTransfers: an operator-chosen growth holds throughout, even an invalid one (tuneHeap warned and chose)', () => {
  for (const value of ['100', '0', 'lots']) {
    const bus = new SyncEventBus();
    const r = recorder();
    followTransfers(bus, { FERRY_HEAP_GROWTH_PERCENT: value }, r.set);
    bus.emit(blob('a'));
    bus.emit(finished('a'));
    assert.deepEqual(r.flags, [], value);
  }
});

test('followTransfers: unsubscribing stops following', () => {
  const bus = new SyncEventBus();
  const r = recorder();
  const stop = followTransfers(bus, {}, r.set);
  stop();
  bus.emit(blob('a'));
  assert.deepEqual(r.flags, []);
});
