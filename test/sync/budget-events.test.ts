import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FerryConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeClock } from '../../src/scheduler/clock.js';
import { budgetFor } from '../../src/sync/registry-pool.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { StatusStore } from '../../src/server/status-store.js';

test('pull-budget waits reach the bus as budget events, so the status page and metrics show them', () => {
  const clock = new FakeClock(1_000_000);
  const bus = new SyncEventBus();
  const seen: SyncEvent[] = [];
  bus.on((e) => seen.push(e));
  const store = new StatusStore(() => clock.now());
  store.attach(bus);
  const budget = budgetFor({ registries: {} } as unknown as FerryConfig, silentLogger, clock, bus);
  budget.exhausted('docker.io', 'anonymous', undefined, 'HTTP 429 pull rate limit');
  const ev = seen.find((e) => e.type === 'budget');
  assert.ok(ev && ev.type === 'budget');
  assert.equal(ev.snapshot.registry, 'docker.io');
  assert.ok(ev.snapshot.waitingUntilMs !== undefined && ev.snapshot.waitingUntilMs > clock.now(), 'the wait and when it ends are visible');
  const status = JSON.stringify(store.snapshot());
  assert.match(status, /docker\.io/);
});
